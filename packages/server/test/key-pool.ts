/** The test kit's fixture key pool, for the server's tests (see @packyard/testkit/key-pool). */
export * from "@packyard/testkit/key-pool";
