-- Blob collection and each blob deletion's foreign-key check look jobs up by the upload they reference;
-- without an index that is a scan of the whole jobs table per blob.
CREATE INDEX jobs_upload_sha256_idx ON jobs (upload_sha256) WHERE upload_sha256 IS NOT NULL;
