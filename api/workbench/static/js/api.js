// Calls to the service's own API (same origin), with the bearer token of this tab.
import { state, tr } from "./util.js";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Words a planner understands for the API's error codes (the API's own message follows). */
export function explain(error) {
  const code = error.code;
  const words = {
    network: tr("无法连接服务器：请检查网络或服务是否在运行，页面会自动重试。", "Cannot reach the server: check the network or that the service runs; the page retries."),
    unsupported_format: tr("这不是可识别的 GIS 文件。请上传 zip 压缩的 Shapefile、GeoPackage、GeoJSON、GeoParquet、FlatGeobuf 或 GeoTIFF。", "This is not a GIS file panhuo reads. Upload a zipped Shapefile, GeoPackage, GeoJSON, GeoParquet, FlatGeobuf or GeoTIFF."),
    forbidden: tr("您的令牌角色不允许此操作（只读角色只能查看）。", "Your token's role may not do this (a viewer may only read)."),
    unauthorized: tr("令牌无效或已吊销，请重新登录。", "The token is invalid or revoked: sign in again."),
    payload_too_large: tr("文件超过服务允许的大小上限。", "The file is larger than the service allows."),
    queue_full: tr("作业队列已满，请稍后再试。", "The job queue is full: try again shortly."),
    rate_limited: tr("操作过于频繁，请稍后再试。", "Too many requests: try again shortly."),
  };
  const lead = words[code] || (error.status === 403 ? words.forbidden : error.status === 401 ? words.unauthorized : "");
  const msg = error.message && code !== "network" ? error.message : "";
  return [lead, msg].filter(Boolean).join(" ");
}

export async function api(path, { method = "GET", body = undefined, form = undefined, blob = false } = {}) {
  const headers = { Authorization: `Bearer ${state.token}` };
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, cache: "no-store" });
  } catch {
    throw new ApiError(0, "network", tr("连接中断", "connection lost"));
  }
  if (!response.ok) {
    let error = {};
    try { error = (await response.json()).error || {}; } catch { /* not JSON */ }
    const code = error.code || (response.status === 401 ? "unauthorized" : response.status === 403 ? "forbidden" : `http_${response.status}`);
    throw new ApiError(response.status, code, error.message || `HTTP ${response.status}`);
  }
  if (blob) return response.blob();
  if (response.status === 204) return null;
  return response.json();
}

const FINISHED = new Set(["successful", "failed", "dismissed"]);
const watchers = new Map();

/**
 * Follow a job until it ends: onUpdate(job, {offline}) after every poll. A lost connection does not
 * stop the watch: the page says so and keeps asking (and a reload picks the job up from GET /jobs).
 */
export function watchJob(jobId, onUpdate) {
  if (watchers.has(jobId)) {
    watchers.get(jobId).listeners.add(onUpdate);
    return;
  }
  const entry = { listeners: new Set([onUpdate]) };
  watchers.set(jobId, entry);
  let delay = 700;
  const tick = async () => {
    try {
      const job = await api(`/jobs/${jobId}`);
      delay = 700;
      for (const fn of entry.listeners) fn(job, { offline: false });
      if (FINISHED.has(job.status)) { watchers.delete(jobId); return; }
    } catch (error) {
      if (error.status === 404) { watchers.delete(jobId); return; }
      delay = Math.min(delay * 2, 5000);
      for (const fn of entry.listeners) fn(null, { offline: true, error });
    }
    setTimeout(tick, delay);
  };
  tick();
}

export function isFinished(job) {
  return FINISHED.has(job.status);
}
