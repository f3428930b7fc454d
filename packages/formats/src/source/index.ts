/** File-system seam: byte sources over files and atomic writes. */
export { fileSource, writeFileAtomic } from "./file.ts";
export { nodeConfigHost } from "./node-config-host.ts";
