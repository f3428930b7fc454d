/**
 * A build job's uploaded, unsigned package (issue 20): the agent API's `PUT …/jobs/:id/artifact` and an
 * in-process worker store the built file through {@link storeJobUpload}.
 */
import { requireAttempt } from "../builds/queue.ts";
import { type BlobDeps, commitBlobs, type StagedUpload } from "./blob-store.ts";
import { collectBlobs } from "./gc.ts";

/**
 * Stores `staged` as the upload of attempt `attempt` of job `jobId` (jobs.upload_sha256 and
 * upload_file_name): the blob and the job's reference commit in one transaction under the blob's lock
 * (blob-store.ts `commitBlobs`), so no collection can take the blob between them. The attempt must be the
 * job's running one (queue.ts `requireAttempt`: STALE_ATTEMPT, NOT_FOUND), checked in that transaction.
 * An upload the attempt made before is replaced and collected unless something else references it. The
 * temporary object stays for the caller to discard.
 *
 * @example await storeJobUpload(deps, { jobId, attempt, fileName: "hello_1.0.0-1_amd64.deb" }, staged);
 */
export async function storeJobUpload(
  deps: BlobDeps,
  job: { jobId: number; attempt: number; fileName: string },
  staged: StagedUpload,
): Promise<void> {
  const previous = await commitBlobs(deps, [staged], async (tx) => {
    const row = await requireAttempt(tx, job.jobId, job.attempt);
    await tx.query("UPDATE jobs SET upload_sha256 = $2, upload_file_name = $3 WHERE id = $1", [
      job.jobId,
      staged.sha256,
      job.fileName,
    ]);
    return row.uploadSha256;
  });
  if (previous !== null && previous !== staged.sha256)
    await collectBlobs(deps.db, deps.storage, { graceMs: 0, only: [previous] }).catch(() => undefined);
}
