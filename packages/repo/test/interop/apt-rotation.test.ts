/**
 * Key rotation: a suite signed by two keys hands out both certificates as one keyring in
 * `keys/<name>.asc` (one armored block) and `keys/<name>.gpg`; apt 2.6 updates cleanly with either file
 * as Signed-By, and with a file holding only the old key or only the new one.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { folderStorage, publish } from "@packyard/repo";
import { scratchApt } from "@packyard/testkit/apt";
import { needTool } from "@packyard/testkit/tools";
import { assertClean, demoInputs, fixtureSigner, scratchDir } from "./apt-repo.ts";

const oldKey = await fixtureSigner("plain");
const newKey = await fixtureSigner("locked");
const repo = scratchDir();
await publish(folderStorage(repo), { add: await demoInputs(), signers: [oldKey, newKey] });
writeFileSync(join(repo, "old.asc"), oldKey.publicKeyArmored());
writeFileSync(join(repo, "new.asc"), newKey.publicKeyArmored());

for (const keyFile of ["keys/repository.asc", "keys/repository.gpg", "old.asc", "new.asc"]) {
  test(`a suite signed by two keys updates cleanly with Signed-By ${keyFile}`, async (t) => {
    if (!needTool(t, "apt-get")) return;
    const apt = scratchApt({ sources: { uri: `file:${repo}/deb`, signedBy: join(repo, keyFile) } });
    t.after(() => apt.dispose());
    assertClean(await apt.update(), `apt-get update with ${keyFile}`);
  });
}
