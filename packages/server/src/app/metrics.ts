/**
 * Prometheus metrics of one app, in a registry of its own (several apps in one test process do not share
 * counters): requests by method, route and status, and their latency; upload bytes; publish durations.
 */
import { Counter, Histogram, Registry } from "prom-client";

/** The app's metrics. */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<"method" | "route" | "status">;
  readonly latency: Histogram<"method" | "route">;
  readonly uploadBytes: Counter<"kind">;
  readonly publishes: Histogram<"outcome">;

  constructor() {
    this.requests = new Counter({
      name: "packyard_http_requests_total",
      help: "HTTP requests answered, by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: "packyard_http_request_duration_seconds",
      help: "Time from request to response, by method and route pattern",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.uploadBytes = new Counter({
      name: "packyard_upload_bytes_total",
      help: "Bytes of committed uploads, by kind (file: a source file by access name; package: a ready-made package)",
      labelNames: ["kind"],
      registers: [this.registry],
    });
    this.publishes = new Histogram({
      name: "packyard_publish_duration_seconds",
      help: "Time a repository publish took, lock wait included, by outcome (ok, failed)",
      labelNames: ["outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [this.registry],
    });
  }

  /** Records the bytes of one committed upload. */
  uploaded(kind: "file" | "package", bytes: number): void {
    this.uploadBytes.inc({ kind }, bytes);
  }

  /** Records one publish. */
  published(outcome: "ok" | "failed", seconds: number): void {
    this.publishes.observe({ outcome }, seconds);
  }

  /** Records one answered request. */
  observe(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }
}
