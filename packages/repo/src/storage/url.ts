/**
 * Storage from what a user types: `s3://bucket/prefix` or a folder path. The CLI's `--to` and the config's
 * publish target go through here, so both accept the same spellings.
 */
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RepoError } from "../errors.ts";
import { folderStorage } from "./fs.ts";
import { type S3Credentials, s3Storage } from "./s3.ts";
import type { Storage } from "./storage.ts";

/** Settings of {@link storageFromUrl} beside the target itself. */
export interface StorageUrlOptions {
  /** S3: endpoint URL of an S3-compatible store. */
  endpoint?: string;
  /** S3: region (default: the SDK's chain, else us-east-1). */
  region?: string;
  /** S3: path-style URLs (default: true when `endpoint` is given). */
  pathStyle?: boolean;
  /** S3: access key (default: the SDK's credential chain). */
  credentials?: S3Credentials;
  /** Folder: what a relative path is relative to (default: the process's working directory). */
  cwd?: string;
}

/**
 * The storage `target` names: `s3://bucket` or `s3://bucket/prefix` → {@link s3Storage}; `file:///path` or
 * any other text → {@link folderStorage} of that path (relative to `cwd`). Other URL schemes (`https://`,
 * `gs://`) are refused with INVALID_SETTING rather than taken for folder names.
 *
 * @example storageFromUrl("s3://packages/apt", { region: "eu-west-1" }); storageFromUrl("./public");
 */
export function storageFromUrl(target: string, options: StorageUrlOptions = {}): Storage {
  if (typeof target !== "string" || target.trim() === "")
    throw new RepoError(
      "INVALID_SETTING",
      "storage target is empty; expected s3://bucket/prefix or a folder path",
      {
        found: String(target),
      },
    );
  const s3 = /^s3:\/\/([^/]*)\/*(.*)$/i.exec(target);
  if (s3) {
    const bucket = s3[1]!;
    if (bucket === "")
      throw new RepoError(
        "INVALID_SETTING",
        `storage target ${target} names no bucket; expected s3://bucket/prefix`,
        {
          found: target,
        },
      );
    return s3Storage({
      bucket,
      ...(s3[2] === "" ? {} : { prefix: s3[2]! }),
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.pathStyle === undefined ? {} : { forcePathStyle: options.pathStyle }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    });
  }
  if (/^file:/i.test(target)) return folderStorage(fileURLToPath(target));
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target);
  if (scheme)
    throw new RepoError(
      "INVALID_SETTING",
      `storage target ${target} uses ${scheme[1]}://, which is not supported; expected s3://bucket/prefix or a folder path`,
      { found: target },
    );
  return folderStorage(isAbsolute(target) ? target : resolve(options.cwd ?? process.cwd(), target));
}
