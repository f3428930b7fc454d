import assert from "node:assert/strict";
import { test } from "node:test";
import { passphraseEnvNames, resolvePassphrase } from "../../src/sign/passphrase.ts";

test("env names in precedence order, nfpm's names last (nfpm www/content/docs/configuration.md: NFPM_<FORMAT>_PASSPHRASE, then NFPM_PASSPHRASE)", () => {
  assert.deepEqual(passphraseEnvNames("deb"), [
    "PACKYARD_DEB_PASSPHRASE",
    "PACKYARD_PASSPHRASE",
    "NFPM_DEB_PASSPHRASE",
    "NFPM_PASSPHRASE",
  ]);
  assert.deepEqual(passphraseEnvNames("archlinux")[0], "PACKYARD_ARCHLINUX_PASSPHRASE");
  assert.deepEqual(passphraseEnvNames("tar.gz")[0], "PACKYARD_TAR_GZ_PASSPHRASE");
  assert.deepEqual(passphraseEnvNames(), ["PACKYARD_PASSPHRASE", "NFPM_PASSPHRASE"]);
});

test("resolvePassphrase takes the first non-empty variable and says which", () => {
  const env = {
    NFPM_PASSPHRASE: "n",
    NFPM_RPM_PASSPHRASE: "nr",
    PACKYARD_PASSPHRASE: "",
    PACKYARD_RPM_PASSPHRASE: undefined,
  };
  assert.deepEqual(resolvePassphrase(env, "rpm"), { name: "NFPM_RPM_PASSPHRASE", passphrase: "nr" });
  assert.deepEqual(resolvePassphrase(env, "deb"), { name: "NFPM_PASSPHRASE", passphrase: "n" });
  assert.deepEqual(resolvePassphrase({ ...env, PACKYARD_PASSPHRASE: "p" }, "rpm"), {
    name: "PACKYARD_PASSPHRASE",
    passphrase: "p",
  });
  assert.deepEqual(
    resolvePassphrase({ ...env, PACKYARD_PASSPHRASE: "p", PACKYARD_RPM_PASSPHRASE: "pr" }, "rpm"),
    {
      name: "PACKYARD_RPM_PASSPHRASE",
      passphrase: "pr",
    },
  );
  assert.equal(resolvePassphrase({}, "rpm"), undefined);
});
