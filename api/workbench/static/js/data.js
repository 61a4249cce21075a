// 数据 Data: drag-and-drop upload, the ingest report, the column mapping and CRS to use.
import { api, explain } from "./api.js";
import { follow, refresh, draw } from "./main.js";
import { field, fmtDate, fmtNumber, h, may, recall, remember, select, state, toast, tr } from "./util.js";

let lastFile = null; // the file of the last upload, kept to re-send it with a CRS

export function render(main) {
  const selected = recall("dataset");
  main.append(h("h1", {}, tr("数据", "Data")));
  main.append(h("div", { class: may("planner") ? "pair" : "" }, may("planner") ? uploadCard() : null, listCard(selected)));
  const row = state.datasets.find((d) => d.id === selected);
  if (row) main.append(reportCard(row));
}

function uploadCard() {
  const fileInput = h("input", { type: "file", id: "file", class: "visually-hidden", accept: ".zip,.gpkg,.geojson,.json,.parquet,.fgb,.tif,.tiff" });
  const name = h("input", { type: "text", id: "upload-name", maxlength: "200", placeholder: tr("默认为文件名", "default: the file name") });
  const crs = h("input", { type: "number", id: "upload-crs", min: "2000", max: "999999", placeholder: "4524" });
  const status = h("div", { id: "upload-status", role: "status", "aria-live": "polite" });
  const zone = h("div", { class: "drop", id: "drop", tabindex: "0", role: "button",
    "aria-label": tr("拖放文件到这里，或按回车选择文件", "Drop a file here, or press Enter to choose one") },
  h("strong", {}, tr("把图层文件拖到这里", "Drop a layer file here")),
  h("span", {}, tr("或点击选择：zip 压缩的 Shapefile、GeoPackage、GeoJSON、GeoParquet、FlatGeobuf、GeoTIFF",
    "or click to choose: zipped Shapefile, GeoPackage, GeoJSON, GeoParquet, FlatGeobuf, GeoTIFF")));
  const send = (file) => upload(file, name.value.trim(), crs.value.trim(), status);
  zone.addEventListener("click", () => fileInput.click());
  zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fileInput.click(); } });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files.length !== 1) { status.textContent = tr("请一次只放一个文件。", "Drop one file at a time."); return; }
    send(e.dataTransfer.files[0]);
  });
  fileInput.addEventListener("change", () => { if (fileInput.files.length) send(fileInput.files[0]); });
  return h("section", { class: "card", "aria-labelledby": "upload-h" },
    h("h2", { id: "upload-h" }, tr("上传图层", "Upload a layer")),
    zone, h("label", { for: "file", class: "visually-hidden" }, tr("选择文件", "Choose a file")), fileInput,
    h("div", { class: "row" },
      field(tr("显示名称（可选）", "Display name (optional)"), name),
      field(tr("坐标系 EPSG（仅当文件缺少坐标系时）", "CRS EPSG (only if the file has none)"), crs)),
    status);
}

const ENCODINGS = ["GBK", "GB18030", "Big5", "UTF-8"]; // Chinese first

async function upload(file, name, crs, status, encoding = "") {
  lastFile = file;
  const form = new FormData();
  form.append("file", file, file.name);
  if (name) form.append("name", name);
  if (crs) form.append("crs", crs);
  if (encoding) form.append("encoding", encoding);
  status.className = "busy";
  status.textContent = tr(`正在上传并检查 ${file.name} …`, `Uploading and checking ${file.name} …`);
  try {
    const created = await api("/datasets", { method: "POST", form });
    status.className = "ok";
    status.textContent = tr(`已入库：${file.name}`, `Stored: ${file.name}`);
    remember("dataset", created.id);
    await refresh();
    draw();
  } catch (error) {
    status.className = "error";
    status.textContent = `${tr("未能入库", "Not stored")}（${file.name}）：${explain(error)}`;
    if (error.code === "encoding_error" && may("planner")) {
      // a declared encoding the bytes do not fit: the message shows both previews; the user picks
      const named = /encoding='([^']+)'/.exec(error.message || "");
      const choices = ENCODINGS.map((e) => ({ encoding: e, preview: "" }));
      status.append(encodingFix(file, name, crs, choices, named ? named[1] : "GBK"));
    }
  }
}

/** Choose the text encoding of a Shapefile and send the same file again with it (the upload's encoding). */
function encodingFix(file, name, crs, candidates, preselect) {
  const sel = select(candidates.map((c) => [c.encoding, c.preview ? `${c.encoding}：${c.preview}` : c.encoding]),
    preselect || candidates[0].encoding, { id: "fix-encoding" });
  const status = h("div", { role: "status", id: "fix-encoding-status" });
  return h("div", { class: "fix", id: "encoding-fix" },
    h("h3", {}, tr("确认文字编码", "Confirm the text encoding")),
    h("p", {}, tr("此 Shapefile 没有声明编码（或声明与内容不符），以下几种编码都能读出文字：请按预览选出中文正确的一种，用同一文件重新上传。",
      "This Shapefile does not declare its encoding (or the declaration does not fit): several readings decode. Pick the one whose preview shows the right text and upload the same file again.")),
    field(tr("编码（预览）", "Encoding (preview)"), sel),
    h("button", { type: "button", class: "primary", id: "fix-encoding-send", onclick: async () => {
      if (!file) { status.textContent = tr("请把同一文件再拖入上方。", "Drop the same file above again."); return; }
      await upload(file, name, crs, status, sel.value);
    } }, tr("按此编码重新上传", "Upload again with this encoding")), status);
}

function layerCount(d) {
  return d.report?.layers?.length || (d.kind === "raster" ? 1 : 1);
}

function listCard(selected) {
  const rows = state.datasets.map((d) => h("tr", { class: d.id === selected ? "selected" : null },
    h("td", {}, h("button", { type: "button", class: "link", onclick: () => { remember("dataset", d.id); draw(); } }, d.name)),
    h("td", {}, d.kind === "raster" ? tr("栅格", "raster") : tr("矢量", "vector")),
    h("td", {}, d.format),
    h("td", { class: "num" }, d.kind === "raster" ? `${d.report.width}×${d.report.height}` : fmtNumber(d.report.feature_count, 0)),
    h("td", { class: "num" }, layerCount(d)),
    h("td", {}, d.report.crs_epsg ? `EPSG:${d.report.crs_epsg}` : d.report.crs || tr("缺少", "missing")),
    h("td", {}, fmtDate(d.created_at)),
    h("td", {}, may("planner") ? h("button", { type: "button", class: "ghost danger", "aria-label": `${tr("删除", "Delete")} ${d.name}`,
      onclick: () => remove(d) }, tr("删除", "Delete")) : null)));
  return h("section", { class: "card", "aria-labelledby": "ds-h" },
    h("h2", { id: "ds-h" }, tr("本工作空间的数据集", "Datasets of this workspace")),
    state.datasets.length === 0 ? h("p", { class: "muted" }, tr("还没有数据集。", "No dataset yet.")) :
      h("table", { class: "grid", id: "datasets" }, h("thead", {}, h("tr", {},
        [tr("名称", "Name"), tr("类型", "Kind"), tr("格式", "Format"), tr("要素数", "Features"), tr("图层", "Layers"), tr("坐标系", "CRS"), tr("上传时间", "Uploaded"), ""]
          .map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)));
}

async function remove(d) {
  if (!confirm(tr(`删除数据集「${d.name}」？`, `Delete dataset "${d.name}"?`))) return;
  try {
    await api(`/datasets/${d.id}`, { method: "DELETE" });
    remember("dataset", null);
    await refresh();
    draw();
  } catch (error) {
    toast(explain(error), "error");
  }
}

/** The column mapping kept for a dataset (sent as "columns" where the API takes it). */
export function mappingOf(datasetId) {
  return recall(`columns.${datasetId}`, null);
}

function reportCard(d) {
  const r = d.report;
  const section = h("section", { class: "card report", id: "report", "aria-labelledby": "rep-h" },
    h("h2", { id: "rep-h" }, `${tr("入库报告", "Ingest report")}：${d.name}`));
  if (d.kind === "raster") {
    section.append(dl([
      [tr("尺寸", "Size"), `${r.width} × ${r.height} × ${r.bands}`],
      [tr("坐标系", "CRS"), r.crs || tr("缺少坐标系", "no CRS")],
      [tr("像元类型", "Data type"), r.dtype],
    ]));
    return section;
  }
  const layers = r.layer_reports ? Object.entries(r.layer_reports) : [[r.layer || "data", r]];
  const layerSel = recall(`layer.${d.id}`) || (r.layer_reports?.parcels ? "parcels" : layers[0][0]);
  const current = (r.layer_reports && r.layer_reports[layerSel]) || r;
  if (layers.length > 1) {
    section.append(field(tr("图层", "Layer"), select(layers.map(([n, lr]) => [n, `${n}（${fmtNumber(lr.feature_count, 0)}）`]), layerSel,
      { id: "report-layer", onchange: (e) => { remember(`layer.${d.id}`, e.target.value); draw(); } })));
  }
  const geom = current.geometry || {};
  section.append(dl([
    [tr("格式", "Format"), `${current.format || d.format}${current.member ? `（${current.member}）` : ""}`],
    [tr("要素数", "Features"), fmtNumber(current.feature_count, 0)],
    [tr("编码", "Encoding"), `${current.encoding || "—"}${current.encoding_how ? ` — ${current.encoding_how}` : ""}`],
    [tr("坐标系", "CRS"), current.crs_epsg ? `EPSG:${current.crs_epsg} ${current.crs_name || ""}` : tr("缺少坐标系", "no CRS")],
    [tr("坐标系依据", "CRS from"), current.crs_how || "—"],
    [tr("修复的几何", "Repaired geometries"), `${fmtNumber(geom.repaired_count || 0, 0)}${geom.area_change_total_m2 ? `（${tr("面积变化", "area change")} ${fmtNumber(geom.area_change_total_m2, 1)} m²）` : ""}`],
    [tr("识别的列", "Columns recognised"), fmtNumber((current.columns_matched || []).length, 0)],
    [tr("未识别的列", "Unmatched columns"), (current.columns_unmatched || []).map(colName).join("、") || tr("无", "none")],
    [tr("缺少的标准列", "Canonical columns not found"), (current.columns_missing || []).join("、") || tr("无", "none")],
  ]));
  if (current.crs_suggestion) section.append(h("p", { class: "warn" }, current.crs_suggestion));
  const problems = current.problems || [];
  if (problems.length) {
    section.append(h("h3", {}, tr("发现的问题", "Problems found")),
      h("ul", { class: "problems" }, problems.map((p) => h("li", { class: p.severity }, `${p.severity === "error" ? tr("错误", "error") : tr("提醒", "warning")}：${p.message}`))));
  }
  if ((geom.repaired || []).length) {
    section.append(h("details", {}, h("summary", {}, tr("修复的几何明细", "Repaired geometries")),
      h("ul", {}, geom.repaired.slice(0, 50).map((g) => h("li", {}, `${g.parcel_id ?? `#${g.row}`}：${g.reason || g.how || ""} ${fmtNumber(g.area_change_m2, 2)} m²`)))));
  }
  const crsWrong = !current.crs_epsg || (current.problems || []).some((p) => p.code && p.code.startsWith("crs"));
  if (crsWrong && may("planner")) section.append(crsFix(d, current));
  if ((current.encoding_candidates || []).length > 1 && may("planner")) {
    section.append(h("p", { class: "warn", id: "encoding-guessed" }, tr(`编码 ${current.encoding} 只是猜测：文件没有 .cpg，也没有语言标识。`,
      `The encoding ${current.encoding} is a guess: the file has neither a .cpg nor a language id.`)));
    section.append(encodingFix(lastFile, d.name, "", current.encoding_candidates, current.encoding_candidates[0].encoding));
  }
  section.append(mappingEditor(d, current));
  return section;
}

function colName(c) {
  return typeof c === "string" ? c : c.source || c.column || JSON.stringify(c);
}

function dl(rows) {
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")]));
}

function crsFix(d, rep) {
  const suggested = /EPSG:(\d{4,6})/.exec(rep.crs_suggestion || (rep.problems || []).map((p) => p.message).join(" "));
  const input = h("input", { type: "number", min: "2000", max: "999999", id: "fix-crs", placeholder: "4524", value: suggested ? suggested[1] : "" });
  const status = h("div", { role: "status" });
  return h("div", { class: "fix" },
    h("h3", {}, tr("指定坐标系", "Give the CRS")),
    h("p", {}, tr("此图层缺少坐标系，或坐标与坐标系不符，分析会被拒绝。请确认 EPSG 代码（已填入检查给出的建议）并重新上传同一文件。",
      "This layer has no CRS, or its coordinates do not fit it: an analysis would be refused. Confirm the EPSG code (the check's suggestion is filled in) and upload the same file again.")),
    field("EPSG", input),
    h("button", { type: "button", class: "primary", onclick: async () => {
      if (!lastFile) { status.textContent = tr("请把同一文件再拖入上方，并填写坐标系。", "Drop the same file above again, with the CRS."); return; }
      await upload(lastFile, d.name, input.value.trim(), status);
    } }, tr("按此坐标系重新上传", "Upload again with this CRS")), status);
}

function mappingEditor(d, rep) {
  const unmatched = (rep.columns_unmatched || []).map(colName);
  const suggestions = rep.suggestions || [];
  const missing = rep.columns_missing || [];
  const saved = mappingOf(d.id) || {};
  const wrap = h("div", { class: "mapping", id: "mapping" }, h("h3", {}, tr("列对应关系", "Column mapping")));
  if (!unmatched.length) {
    wrap.append(h("p", { class: "ok" }, tr("所有列均已识别，无需对应。", "Every column was recognised: nothing to map.")));
    return wrap;
  }
  const rows = unmatched.map((col) => {
    const suggested = suggestions.find((s) => s.column === col);
    const current = Object.entries(saved).find(([, src]) => src === col)?.[0] || suggested?.canonical || "";
    const extra = suggested?.canonical && !missing.includes(suggested.canonical) ? [[suggested.canonical, suggested.canonical]] : [];
    const sel = select([["", tr("（不使用）", "(not used)")], ...missing.map((m) => [m, m]), ...extra], current, { dataset: { column: col } });
    const advice = !suggested ? "" : suggested.canonical
      ? `${tr("建议", "suggested")}：${suggested.canonical}（${suggested.why}）` : suggested.why;
    return h("tr", {}, h("th", { scope: "row" }, col), h("td", {}, field(tr(`「${col}」对应`, `"${col}" is`), sel)),
      h("td", { class: "muted" }, advice));
  });
  const status = h("div", { role: "status" });
  if (!state.accepts.analysisColumns) {
    wrap.append(h("p", { class: "warn", id: "mapping-unsupported" }, tr("此版本的服务在分析时还不接受列对应（columns）：确认的对应关系保存在本页，分析时未使用。未识别的列不参与规则判断。",
      "This version of the service does not yet take a column mapping with an analysis: a confirmed mapping is kept in this page but not used. Unmatched columns take no part in the rules.")));
  }
  wrap.append(h("table", { class: "grid" }, h("thead", {}, h("tr", {}, [tr("文件中的列", "Column in file"), tr("标准列", "Canonical column"), tr("建议", "Suggestion")].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)),
    h("button", { type: "button", class: "primary", id: "confirm-mapping", onclick: () => {
      const columns = {};
      for (const s of wrap.querySelectorAll("select[data-column]")) if (s.value) columns[s.value] = s.dataset.column;
      remember(`columns.${d.id}`, columns);
      status.textContent = tr(`已确认 ${Object.keys(columns).length} 列的对应关系，分析此数据集时使用。`, `Mapping of ${Object.keys(columns).length} columns confirmed; analyses of this dataset use it.`);
    } }, tr("确认对应关系", "Confirm the mapping")), status);
  return wrap;
}

export { follow };
