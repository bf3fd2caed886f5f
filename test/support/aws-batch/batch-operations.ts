import { createHash, randomUUID } from "node:crypto";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { LocalLambda } from "./local-lambda.js";

interface Job {
  id: string;
  status: "Active" | "Complete" | "Failed";
  total: number;
  succeeded: number;
  failed: number;
  done: Promise<void>;
}

/** The text of the first `<name>` element inside `xml` (enough for the CreateJob fields this endpoint reads). */
const tag = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const unescapeXml = (text: string) => text.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
const csvField = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const bucketOf = (arn: string) => arn.replace(/^arn:aws:s3:::/, "");

/** S3 Batch Operations: CreateJob with a CSV manifest and a LambdaInvoke (schema 2.0) operation, then a completion report. */
export class BatchOperationsService {
  readonly jobs = new Map<string, Job>();
  constructor(
    private readonly s3: S3Client,
    private readonly lambda: LocalLambda,
    private readonly concurrency: number,
  ) {}

  async settled(): Promise<void> {
    await Promise.all([...this.jobs.values()].map((job) => job.done));
  }

  async createJob(xml: string): Promise<string> {
    const objectArn = unescapeXml(tag(xml, "ObjectArn") ?? "");
    const [manifestBucket, ...keyParts] = bucketOf(objectArn).split("/");
    const functionArn = tag(xml, "FunctionArn");
    if (!functionArn || tag(xml, "InvocationSchemaVersion") !== "2.0") throw new Error("CreateJob: a LambdaInvoke operation with InvocationSchemaVersion 2.0 is needed");
    const userArguments = Object.fromEntries([...xml.matchAll(/<entry><key>([^<]*)<\/key><value>([^<]*)<\/value><\/entry>/g)].map((m) => [m[1]!, m[2]!]));
    const report = { bucket: bucketOf(unescapeXml(tag(xml, "Bucket") ?? "")), prefix: unescapeXml(tag(xml, "Prefix") ?? "") };
    const id = randomUUID();
    const job: Job = { id, status: "Active", total: 0, succeeded: 0, failed: 0, done: Promise.resolve() };
    this.jobs.set(id, job);
    job.done = this.run(job, manifestBucket!, keyParts.join("/"), userArguments, report).catch(() => {
      job.status = "Failed";
    });
    return id;
  }

  describeJob(id: string): string | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    return `<?xml version="1.0" encoding="UTF-8"?><DescribeJobResult><Job><JobId>${job.id}</JobId><Status>${job.status}</Status><Priority>10</Priority><ProgressSummary><TotalNumberOfTasks>${job.total}</TotalNumberOfTasks><NumberOfTasksSucceeded>${job.succeeded}</NumberOfTasksSucceeded><NumberOfTasksFailed>${job.failed}</NumberOfTasksFailed></ProgressSummary></Job></DescribeJobResult>`;
  }

  private async run(job: Job, bucket: string, key: string, userArguments: Record<string, string>, report: { bucket: string; prefix: string }): Promise<void> {
    const manifest = await (await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
    const tasks = manifest.split("\n").filter(Boolean).map((line) => {
      const [taskBucket, encodedKey] = line.split(",");
      return { taskId: randomUUID(), s3Bucket: taskBucket!, s3Key: encodedKey!, s3VersionId: null };
    });
    job.total = tasks.length;
    const rows = { succeeded: [] as string[], failed: [] as string[] };
    const queue = [...tasks];
    const lane = async () => {
      for (let task = queue.shift(); task; task = queue.shift()) {
        const event = { invocationSchemaVersion: "2.0", invocationId: randomUUID(), job: { id: job.id, userArguments }, tasks: [task] };
        const outcome = await this.lambda.invoke(event);
        let status: "succeeded" | "failed";
        let resultCode = "";
        let message: string;
        if (outcome.ok) {
          const result = (outcome.payload as { results: Array<{ resultCode: string; resultString: string }> }).results[0]!;
          status = result.resultCode === "Succeeded" ? "succeeded" : "failed";
          resultCode = status === "failed" ? result.resultCode : "";
          message = result.resultString;
        } else {
          status = "failed";
          resultCode = "PermanentFailure";
          message = `Lambda returned function error: ${outcome.cause}`;
        }
        job[status]++;
        rows[status].push([task.s3Bucket, task.s3Key, "", status, "200", resultCode, message].map(csvField).join(","));
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, lane));
    const results = [];
    for (const status of ["succeeded", "failed"] as const) {
      if (rows[status].length === 0) continue;
      const body = `${rows[status].join("\n")}\n`;
      const fileKey = `${report.prefix.replace(/\/+$/, "")}/job-${job.id}/results/${createHash("sha1").update(body).digest("hex")}.csv`;
      await this.s3.send(new PutObjectCommand({ Bucket: report.bucket, Key: fileKey, Body: body }));
      results.push({ TaskExecutionStatus: status, Bucket: report.bucket, MD5Checksum: createHash("md5").update(body).digest("hex"), Key: fileKey });
    }
    const reportManifest = { Format: "Report_CSV_20180820", ReportCreationDate: new Date().toISOString(), Results: results, ReportSchema: "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage" };
    await this.s3.send(new PutObjectCommand({ Bucket: report.bucket, Key: `${report.prefix.replace(/\/+$/, "")}/job-${job.id}/manifest.json`, Body: JSON.stringify(reportManifest) }));
    job.status = "Complete";
  }
}
