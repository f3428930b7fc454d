/** pacman sync databases: pure builders from package records to `desc`/`files` texts and the two tarballs. */
export { buildPacmanDatabases, type PacmanDatabaseOptions, type PacmanDatabases } from "./database.ts";
export { pacmanDescText, pacmanFilesText } from "./desc.ts";
export { pacmanIndexInfo } from "./info.ts";
export type { PacmanEntry, PacmanIndexInfo } from "./types.ts";
