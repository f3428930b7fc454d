-- OpenPGP signing keys: which (sub)key signs, and until when.
--   * signing_key_id: the v4 fingerprint (40 lowercase hex) of the key that signs, the primary or a signing
--     subkey, chosen when the key was stored (the key gpg and openpgp.js sign with at that time: the newest
--     signing subkey valid then, else the primary); publishing signs with it. NULL for apk keys, and for
--     OpenPGP keys stored before this migration (they sign with the key openpgp.js picks).
--   * expires_at: when that signing key stops being valid (its own expiry or its primary's, whichever comes
--     first); NULL when it does not expire (or was stored before this migration).
ALTER TABLE signing_keys
  ADD COLUMN signing_key_id text CHECK (signing_key_id ~ '^[0-9a-f]{40}$'),
  ADD COLUMN expires_at timestamptz,
  ADD CONSTRAINT signing_keys_signing_key_openpgp CHECK (signing_key_id IS NULL OR purpose = 'openpgp');
