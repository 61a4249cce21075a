// 分析 Analysis: as-of date and preset, run with progress; map and parcel table side by side;
// counts and 亩 by status and reason; indicators against their ideal values; Excel export.
import { api, explain, isFinished } from "./api.js";
import { follow, refresh, draw } from "./main.js";
import { mappingOf } from "./data.js";
import { focusParcel, legend, makeMap, mapBox, parcelLayer } from "./map.js";
import { colour, download, field, fmtDate, fmtNumber, fmtPercent, h, label, may, recall, remember, select, sortableTable, state, toast, tr } from "./util.js";

const cache = new Map(); // job id → {results, geojson, scores}
let scrollToResult = false; // an analysis opened or started by the user: bring its result into view
let view = null; // {jobId, map, byId, table}

export function isIdle(status) {
  return ["idle", "idle_recoverable", "idle_gov_caused", "idle_stalled"].includes(status);
}

export function parcelColour(p) {
  if (isIdle(p.idle_status)) return colour("idle_status", p.idle_status, "#e34a33");
  if (p.low_efficiency === true) return "#fd8d3c";
  if (p.idle_status === "not_applicable") return "#e0e0e0";
  if (p.idle_status === "unknown") return "#969696";
  return "#a1d99b";
}

export function statusText(p) {
  if (isIdle(p.idle_status)) return label("idle_status", p.idle_status);
  if (p.low_efficiency === true) return tr("低效用地", "low-efficiency");
  return label("idle_status", p.idle_status);
}

export function reasonsText(p) {
  return String(p.low_eff_reasons || "").split(";").filter(Boolean).map((c) => label("reasons", c)).join("、");
}

export function analyses() {
  return state.jobs.filter((j) => j.kind === "analysis");
}

export function datasetName(id) {
  return state.datasets.find((d) => d.id === id)?.name || id;
}

export function render(main) {
  main.append(h("h1", {}, tr("分析", "Analysis")));
  main.append(h("div", { class: may("planner") ? "pair" : "" }, may("planner") ? runCard() : null, listCard()));
  const jobId = recall("analysis");
  const job = state.jobs.find((j) => j.id === jobId);
  const holder = h("div", { id: "analysis-view" });
  main.append(holder);
  if (job) showJob(holder, job);
}

export function onJob(job) {
  if (job.kind !== "analysis") return;
  const row = document.querySelector(`#analyses tr[data-key="${job.id}"]`);
  if (row) row.replaceWith(jobRow(job));
  if (recall("analysis") === job.id) {
    const holder = document.getElementById("analysis-view");
    if (holder && (!view || view.jobId !== job.id || isFinished(job))) showJob(holder, job);
  }
}

function runCard() {
  const vectors = state.datasets.filter((d) => d.kind === "vector");
  const chosen = recall("dataset") && vectors.some((d) => d.id === recall("dataset")) ? recall("dataset") : vectors[0]?.id;
  const ds = select(vectors.map((d) => [d.id, d.name]), chosen, { id: "an-dataset" });
  const layerSel = h("select", { id: "an-layer" });
  const fillLayers = () => {
    const d = vectors.find((v) => v.id === ds.value);
    const layers = d?.report?.layers?.length ? d.report.layers : [""];
    const pick = layers.includes("parcels") ? "parcels" : layers[0];
    layerSel.replaceChildren(...layers.map((l) => h("option", { value: l, selected: l === pick }, l || tr("（唯一图层）", "(only layer)"))));
  };
  ds.addEventListener("change", fillLayers);
  fillLayers();
  const asOf = h("input", { type: "date", id: "an-asof", value: recall("asof") || new Date().toISOString().slice(0, 10), required: true });
  const preset = select(state.presets.map((p) => [p.name, `${p.title}${p.provisional ? tr("（暂行）", " (provisional)") : ""}`]), "national", { id: "an-preset" });
  const status = h("div", { role: "status", id: "an-status" });
  const button = h("button", { type: "submit", class: "primary", id: "run-analysis", disabled: !vectors.length }, tr("运行分析", "Run the analysis"));
  const form = h("form", { class: "card", id: "analysis-form", onsubmit: async (e) => {
    e.preventDefault();
    remember("asof", asOf.value);
    const body = { dataset_id: ds.value, as_of: asOf.value || undefined, rules: preset.value };
    if (layerSel.value) body.layer = layerSel.value;
    const mapping = mappingOf(ds.value);
    if (mapping && Object.keys(mapping).length && state.accepts.analysisColumns) body.columns = { columns: mapping };
    status.textContent = "";
    try {
      const created = await api("/analyses", { method: "POST", body });
      remember("analysis", created.job_id);
      scrollToResult = true;
      await refresh();
      follow(created.job_id);
      draw();
    } catch (error) {
      status.className = "error";
      status.textContent = explain(error);
    }
  } },
  h("h2", {}, tr("新的分析", "New analysis")),
  vectors.length ? null : h("p", { class: "muted" }, tr("请先在「数据」中上传地块图层。", "Upload a parcel layer under Data first.")),
  h("div", { class: "row" },
    field(tr("地块数据集", "Parcel dataset"), ds), field(tr("图层", "Layer"), layerSel),
    field(tr("评价基准日", "As-of date"), asOf), field(tr("规则预设", "Rule preset"), preset)),
  button, status);
  return form;
}

function jobRow(j) {
  const open = h("button", { type: "button", class: "link", onclick: () => { remember("analysis", j.id); scrollToResult = true; draw(); } }, `${datasetName(j.dataset_id)}`);
  const cancel = !isFinished(j) && may("planner")
    ? h("button", { type: "button", class: "ghost danger", onclick: () => cancelJob(j.id) }, tr("取消", "Cancel")) : null;
  return h("tr", { dataset: { key: j.id }, class: recall("analysis") === j.id ? "selected" : null },
    h("td", {}, open), h("td", {}, fmtDate(j.created_at)), h("td", {}, progressCell(j)), h("td", {}, j.created_by), h("td", {}, cancel));
}

export function progressCell(j) {
  const names = { accepted: tr("排队中", "queued"), running: tr("运行中", "running"), successful: tr("完成", "done"), failed: tr("失败", "failed"), dismissed: tr("已取消", "dismissed") };
  if (isFinished(j)) return h("span", { class: `badge ${j.status}` }, names[j.status]);
  return h("span", {}, h("progress", { max: "100", value: String(j.progress || 0), "aria-label": tr("进度", "progress") }), ` ${j.progress || 0}% ${j.message || ""}`);
}

export async function cancelJob(id) {
  try {
    await api(`/jobs/${id}`, { method: "DELETE" });
    await refresh();
    draw();
  } catch (error) {
    toast(explain(error), "error");
  }
}

function listCard() {
  const jobs = analyses();
  return h("section", { class: "card" }, h("h2", {}, tr("分析记录", "Analyses")),
    jobs.length ? h("table", { class: "grid", id: "analyses" },
      h("thead", {}, h("tr", {}, [tr("数据集", "Dataset"), tr("开始", "Started"), tr("状态", "Status"), tr("发起人", "By"), ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, jobs.map(jobRow))) : h("p", { class: "muted" }, tr("还没有分析。", "No analysis yet.")));
}

async function load(jobId) {
  if (!cache.has(jobId)) {
    const [results, geojson, scores] = await Promise.all([
      api(`/jobs/${jobId}/results`),
      api(`/jobs/${jobId}/layers/parcels?format=geojson`),
      api(`/jobs/${jobId}/indicator-scores`),
    ]);
    cache.set(jobId, { results, geojson, scores });
  }
  return cache.get(jobId);
}

export { load as loadAnalysis };

async function showJob(holder, job) {
  view = { jobId: job.id };
  if (!isFinished(job)) {
    holder.replaceChildren(h("section", { class: "card", id: "analysis-progress" }, h("h2", {}, tr("分析进行中", "Analysis running")), progressCell(job),
      may("planner") ? h("button", { type: "button", class: "ghost danger", onclick: () => cancelJob(job.id) }, tr("取消分析", "Cancel")) : null));
    return;
  }
  if (job.status !== "successful") {
    holder.replaceChildren(h("section", { class: "card error", id: "analysis-failed" },
      h("h2", {}, job.status === "dismissed" ? tr("分析已取消", "The analysis was cancelled") : tr("分析未完成", "The analysis did not finish")),
      h("p", {}, job.message || job.error_code || job.status)));
    return;
  }
  holder.replaceChildren(h("p", { class: "muted" }, tr("正在载入结果…", "Loading the result…")));
  let data;
  try { data = await load(job.id); } catch (error) { holder.replaceChildren(h("p", { class: "error" }, explain(error))); return; }
  if (view.jobId !== job.id || !holder.isConnected) return; // the planner moved on meanwhile
  const features = data.geojson.features;
  const rows = features.map((f) => f.properties);
  const filter = h("input", { type: "search", id: "parcel-filter", placeholder: tr("编号、名称、企业…", "id, name, enterprise…") });
  const statusFilter = select([["", tr("全部", "all")], ["idle", tr("闲置土地", "idle land")], ["low", tr("低效用地", "low-efficiency")], ["other", tr("其他", "other")]], "", { id: "parcel-status" });
  const detail = h("div", { id: "parcel-detail", class: "detail", "aria-live": "polite" });
  const mapEl = mapBox("analysis-map", tr("分析地图", "analysis map"));
  const picked = new Set(recall(`brief.${job.id}`, []));
  const pickedCount = h("span", { class: "muted", id: "picked-count" });
  const showPicked = () => { pickedCount.textContent = picked.size ? tr(`已选 ${picked.size} 宗用于简报`, `${picked.size} chosen for a briefing`) : ""; };
  showPicked();
  const columns = [
    { label: tr("简报", "Brief"), value: (p) => (picked.has(String(p.parcel_id)) ? 0 : 1), render: (p) => {
      const id = String(p.parcel_id);
      const box = h("input", { type: "checkbox", checked: picked.has(id), "aria-label": tr(`地块 ${id} 选入简报`, `brief parcel ${id}`), class: "pick" });
      box.addEventListener("click", (e) => e.stopPropagation());
      box.addEventListener("change", () => { if (box.checked) picked.add(id); else picked.delete(id); remember(`brief.${job.id}`, [...picked]); showPicked(); });
      return box;
    } },
    { label: tr("编号", "ID"), value: (p) => p.parcel_id },
    { label: tr("名称", "Name"), value: (p) => p.name || "" },
    { label: tr("状态", "Status"), value: (p) => statusText(p), render: (p) => { const s = h("span", { class: "dot" }); s.style.background = parcelColour(p); return [s, statusText(p)]; } },
    { label: tr("低效原因", "Reasons"), value: (p) => reasonsText(p) },
    { label: tr("面积（亩）", "Area (mu)"), value: (p) => fmtNumber(p.area_mu, 1), sort: (p) => p.area_mu, class: "num" },
  ];
  const table = sortableTable(columns, rows, { id: "parcels", rowKey: (p) => p.parcel_id, onRow: (p) => openParcel(p.parcel_id, false) });
  const apply = () => {
    const q = filter.value.trim().toLowerCase();
    const s = statusFilter.value;
    table.redraw(rows.filter((p) => {
      if (s === "idle" && !isIdle(p.idle_status)) return false;
      if (s === "low" && p.low_efficiency !== true) return false;
      if (s === "other" && (isIdle(p.idle_status) || p.low_efficiency === true)) return false;
      return !q || [p.parcel_id, p.name, p.enterprise].some((v) => String(v || "").toLowerCase().includes(q));
    }));
    count.textContent = tr(`显示 ${table.tBodies[0].rows.length} / ${rows.length} 宗`, `${table.tBodies[0].rows.length} of ${rows.length} parcels`);
  };
  const count = h("span", { class: "muted", id: "parcel-count", "aria-live": "polite" });
  filter.addEventListener("input", apply);
  statusFilter.addEventListener("change", apply);
  const r = data.results;
  holder.replaceChildren(
    h("section", { class: "card" },
      h("div", { class: "bar" }, h("h2", {}, `${tr("分析结果", "Result")}：${datasetName(job.dataset_id)} · ${tr("基准日", "as of")} ${r.as_of} · ${r.preset}`),
        h("div", {}, exportButton(job.id, "report.xlsx", tr("导出 Excel 报表", "Export to Excel (report.xlsx)"), "export-xlsx"),
          exportButton(job.id, "layers/parcels?format=csv", tr("地块 CSV", "Parcels CSV"), "export-csv", "parcels.csv"))),
      h("div", { class: "split" },
        h("div", { class: "map-col" }, mapEl),
        h("div", { class: "table-col" }, h("div", { class: "row tight" }, field(tr("筛选", "Filter"), filter), field(tr("状态", "Status"), statusFilter), count, pickedCount),
          h("div", { class: "scroll" }, table), detail))),
    summaryCard(r.summary), indicatorCard(data.scores));
  apply();
  const map = makeMap(mapEl);
  const { byId } = parcelLayer(map, data.geojson, parcelColour, {
    onClick: (id) => openParcel(id, true),
    tooltip: (p) => `${p.parcel_id} ${p.name || ""}：${statusText(p)}`,
  });
  const s = r.summary;
  const idleCodes = ["idle", "idle_recoverable", "idle_gov_caused", "idle_stalled"].filter((c) => s.idle_status?.[c]?.count);
  legend(map, tr("状态", "Status"), [
    ...idleCodes.map((c) => [colour("idle_status", c), label("idle_status", c), s.idle_status[c].count]),
    ["#fd8d3c", tr("低效用地", "low-efficiency"), s.low_efficiency?.true?.count],
    ["#a1d99b", tr("其他已供地", "other supplied"), undefined],
    ["#e0e0e0", tr("未供地", "not supplied"), s.idle_status?.not_applicable?.count],
  ]);
  view = { jobId: job.id, map, byId, table };
  if (scrollToResult) { holder.scrollIntoView({ block: "start" }); scrollToResult = false; }
  const again = recall("parcel");
  if (again && byId.has(again)) openParcel(again, true);

  function openParcel(id, fromMap) {
    remember("parcel", id);
    focusParcel(map, byId, id);
    for (const tr0 of table.querySelectorAll("tr.selected")) tr0.classList.remove("selected");
    let row = table.querySelector(`tr[data-key="${CSS.escape(id)}"]`);
    if (!row && fromMap) { filter.value = ""; statusFilter.value = ""; apply(); row = table.querySelector(`tr[data-key="${CSS.escape(id)}"]`); }
    if (row) {
      row.classList.add("selected");
      const box = row.closest(".scroll");
      if (box.scrollTop > row.offsetTop - 40 || box.scrollTop + box.clientHeight < row.offsetTop + row.offsetHeight) box.scrollTop = Math.max(0, row.offsetTop - box.clientHeight / 3);
      if (fromMap) row.focus({ preventScroll: true });
    }
    const p = rows.find((x) => String(x.parcel_id) === id);
    detail.replaceChildren(parcelDetail(p));
  }
}

function parcelDetail(p) {
  if (!p) return "";
  const rows = [
    [tr("编号", "ID"), p.parcel_id], [tr("名称", "Name"), p.name], [tr("企业", "Enterprise"), p.enterprise],
    [tr("状态", "Status"), statusText(p)], [tr("依据", "Basis"), p.idle_basis],
    [tr("闲置费（万元）", "Idle fee (10k yuan)"), fmtNumber(p.idle_fee_wan, 2)],
    [tr("低效原因", "Reasons"), reasonsText(p) || "—"], [tr("未评价的规则", "Rules not evaluated"), p.low_eff_not_evaluated],
    [tr("面积（亩）", "Area (mu)"), fmtNumber(p.area_mu, 2)], [tr("容积率", "FAR"), fmtNumber(p.far, 2)],
    [tr("建筑系数", "Building coefficient"), fmtPercent(p.building_coef)], [tr("亩均税收（万元/亩）", "Tax per mu"), fmtNumber(p.tax_per_mu, 2)],
    [tr("现状用途", "Land use"), p.land_use], [tr("规划用途", "Planned use"), p.planned_use],
  ];
  return h("div", {}, h("h3", {}, `${tr("地块", "Parcel")} ${p.parcel_id}`),
    h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v === null || v === undefined || v === "" ? "—" : String(v))])));
}

export function exportButton(jobId, path, text, id, filename = null) {
  return h("button", { type: "button", class: "ghost", id, onclick: async () => {
    try {
      const blob = await api(`/jobs/${jobId}/${path}`, { blob: true });
      download(blob, filename || `${jobId}-${path.split("?")[0].split("/").pop()}`);
    } catch (error) {
      toast(explain(error), "error");
    }
  } }, text);
}

function summaryCard(s) {
  const statusRows = Object.entries(s.idle_status || {}).map(([code, v]) => [label("idle_status", code), v.count, v.area_mu, colour("idle_status", code)]);
  const reasonRows = Object.entries(s.reasons || {}).filter(([code]) => !code.startsWith("exempt:")).map(([code, v]) => [label("reasons", code), v.count, v.area_mu, colour("reasons", code)]);
  const exemptRows = Object.entries(s.reasons || {}).filter(([code]) => code.startsWith("exempt:")).map(([code, v]) => [`${tr("豁免", "exempt")}：${code.slice(7)}`, v.count, v.area_mu]);
  const table = (id, caption, rows) => h("table", { class: "grid compact", id }, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, [tr("类别", "Class"), tr("宗数", "Parcels"), tr("面积（亩）", "Area (mu)")].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.map(([name, count, mu, c]) => { const dot = h("span", { class: "dot" }); if (c) dot.style.background = c; return h("tr", {}, h("td", {}, c ? dot : null, name), h("td", { class: "num" }, fmtNumber(count, 0)), h("td", { class: "num" }, fmtNumber(mu, 1))); })));
  const le = s.low_efficiency || {};
  return h("section", { class: "card", id: "summary" },
    h("h2", {}, tr("按状态与原因统计", "By status and reason")),
    h("p", {}, tr(`共 ${fmtNumber(s.parcels, 0)} 宗、${fmtNumber(s.area_mu, 1)} 亩；闲置土地 ${fmtNumber(s.idle?.count, 0)} 宗 ${fmtNumber(s.idle?.area_mu, 1)} 亩（闲置费 ${fmtNumber(s.idle?.fee_wan, 1)} 万元）；低效用地 ${fmtNumber(le.true?.count, 0)} 宗 ${fmtNumber(le.true?.area_mu, 1)} 亩。`,
      `${fmtNumber(s.parcels, 0)} parcels, ${fmtNumber(s.area_mu, 1)} mu; idle ${fmtNumber(s.idle?.count, 0)} parcels ${fmtNumber(s.idle?.area_mu, 1)} mu (fee ${fmtNumber(s.idle?.fee_wan, 1)} ×10k yuan); low-efficiency ${fmtNumber(le.true?.count, 0)} parcels ${fmtNumber(le.true?.area_mu, 1)} mu.`)),
    h("div", { class: "row top" }, table("by-status", tr("闲置认定状态", "Idle status"), statusRows), table("by-reason", tr("低效原因（一宗可有多项）", "Low-efficiency reasons (several per parcel)"), reasonRows),
      exemptRows.length ? table("by-exempt", tr("豁免", "Exemptions"), exemptRows) : null));
}

function indicatorCard(scores) {
  const rows = scores.items.map((i) => {
    const bar = h("span", { class: "bar-fill" });
    bar.style.width = `${Math.max(0, Math.min(100, i.score ?? 0))}%`;
    return h("tr", {}, h("td", {}, i.label), h("td", { class: "num" }, fmtNumber(i.actual, 3)), h("td", { class: "num" }, fmtNumber(i.ideal, 3)),
      h("td", { class: "num" }, i.score === null ? "—" : fmtNumber(i.score, 1)), h("td", { class: "meter" }, h("span", { class: "bar-track" }, bar)));
  });
  return h("section", { class: "card", id: "indicators" },
    h("h2", {}, `${tr("园区指标与理想值", "Zone indicators against their ideal values")}（${label("zone_types", scores.zone_type) || scores.zone_type}，${scores.preset}）`),
    h("table", { class: "grid compact" }, h("thead", {}, h("tr", {}, [tr("指标", "Indicator"), tr("现状值", "Actual"), tr("理想值", "Ideal"), tr("得分", "Score"), ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)),
    h("p", { class: "muted" }, tr("得分 = min(现状值/理想值, 1)×100（土地闲置率为 min(理想值/现状值, 1)×100），理想值取自规则预设（TD/T 1029 理想值法）。",
      "Score = min(actual/ideal, 1)×100 (idle land rate: min(ideal/actual, 1)×100); ideal values from the rule preset (TD/T 1029).")));
}
