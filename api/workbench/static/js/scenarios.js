// 情景 Scenarios: a form for every scenario key, field-level validation from the API's 422,
// runs as jobs with progress and cancel, the plan's map and numbers, duplicate and run again.
import { api, explain, isFinished } from "./api.js";
import { follow, refresh, draw } from "./main.js";
import { cancelJob, progressCell } from "./analysis.js";
import { legend, makeMap, mapBox, parcelLayer } from "./map.js";
import { colour, field, fmtDate, fmtNumber, fmtPercent, h, label, may, recall, remember, select, state, toast, tr } from "./util.js";

const OBJECTIVES = [
  ["max_coverage", ["最大覆盖（MCLP）", "maximise coverage (MCLP)"]],
  ["min_facilities", ["最少设施（LSCP）", "fewest facilities (LSCP)"]],
  ["min_distance", ["最短总距离（p-中位）", "least total distance (p-median)"]],
  ["min_max_distance", ["最短最远距离（p-中心）", "least farthest distance (p-center)"]],
  ["revitalise", ["盘活与配套综合模型", "revitalisation and facilities"]],
];
const TERMS = ["coverage", "net_return", "cost"];
const ACTIONS = ["upgrade", "release", "facility", "green"];
const ECONOMICS = [
  ["compensation_wan_per_mu", ["收回补偿（万元/亩）", "compensation (10k yuan/mu)"]],
  ["rezoning_wan_per_mu", ["调整规划用途费用（万元/亩）", "rezoning (10k yuan/mu)"]],
  ["release_price_wan_per_mu", ["再供应地价（万元/亩）", "re-supply price (10k yuan/mu)"]],
  ["tax_target_wan_per_mu", ["目标亩均税收（万元/亩）", "target tax per mu"]],
  ["upgrade_cost_wan_per_mu", ["提质改造奖补（万元/亩）", "upgrade incentive (10k yuan/mu)"]],
  ["green_cost_wan_per_m2", ["绿地建设（万元/m²）", "green space (10k yuan/m²)"]],
  ["horizon_years", ["税收计算年限（年）", "years of tax counted"]],
];

let draft = null; // {id|null, body}
const plans = new Map();

export function runsOf(scenarioId) {
  return state.jobs.filter((j) => j.kind === "plan" && (!scenarioId || j.scenario_id === scenarioId));
}

export function render(main) {
  main.append(h("h1", {}, tr("情景", "Scenarios")));
  main.append(listCard());
  const sid = recall("scenario");
  if (draft === null) draft = recall("draft");
  const holder = h("div", { class: "scenario-grid" });
  main.append(holder);
  if (draft) holder.append(formCard());
  if (sid && state.scenarios.some((s) => s.id === sid)) holder.append(runsCard(sid));
  const run = state.jobs.find((j) => j.id === recall("run"));
  const result = h("div", { id: "plan-view" });
  main.append(result);
  if (run) showRun(result, run);
}

export function onJob(job) {
  if (job.kind !== "plan") return;
  const row = document.querySelector(`#runs tr[data-key="${job.id}"]`);
  if (row) row.replaceWith(runRow(job));
  if (recall("run") === job.id) {
    const holder = document.getElementById("plan-view");
    if (holder) showRun(holder, job);
  }
}

function listCard() {
  const rows = state.scenarios.map((s) => h("tr", { class: recall("scenario") === s.id ? "selected" : null },
    h("td", {}, h("button", { type: "button", class: "link", onclick: () => openScenario(s.id, false) }, s.name)),
    h("td", { class: "num" }, `v${s.latest_version}`), h("td", {}, fmtDate(s.updated_at)), h("td", {}, s.created_by),
    h("td", {}, may("planner") ? h("button", { type: "button", class: "ghost", "aria-label": `${tr("复制", "Duplicate")} ${s.name}`, onclick: () => openScenario(s.id, true) }, tr("复制", "Duplicate")) : null)));
  return h("section", { class: "card" },
    h("div", { class: "bar" }, h("h2", {}, tr("本工作空间的情景", "Scenarios of this workspace")),
      may("planner") ? h("button", { type: "button", class: "primary", id: "new-scenario", onclick: newScenario }, tr("新建情景", "New scenario")) : null),
    state.scenarios.length ? h("table", { class: "grid", id: "scenarios" },
      h("thead", {}, h("tr", {}, [tr("名称", "Name"), tr("版本", "Version"), tr("修改时间", "Edited"), tr("作者", "By"), ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)) : h("p", { class: "muted" }, tr("还没有情景。", "No scenario yet.")));
}

function vectorDefault(layer) {
  const d = state.datasets.find((x) => x.kind === "vector" && (!layer || (x.report.layers || []).includes(layer)));
  return d ? { path: d.id, layer: (d.report.layers || []).includes(layer) ? layer : undefined } : { path: "" };
}

function newScenario() {
  draft = {
    id: null,
    body: {
      name: "", parcels: vectorDefault("parcels"), candidates: "revitalisable", as_of: recall("asof") || "",
      demand: { ...vectorDefault("demand"), weight: "" }, objective: "max_coverage",
      facilities: [{ type: "clinic", label: "社区卫生服务站", count: 2, radius_m: 1000, min_area_m2: 1000, max_area_m2: 20000, cost_wan: 800 }],
    },
  };
  remember("draft", draft);
  remember("scenario", null);
  draw();
}

async function openScenario(id, duplicate) {
  try {
    const s = await api(`/scenarios/${id}`);
    const body = structuredClone(s.body);
    if (duplicate) body.name = `${s.name}${tr("（副本）", " (copy)")}`;
    draft = { id: duplicate ? null : id, version: s.version, body };
    remember("draft", draft);
    remember("scenario", duplicate ? null : id);
    draw();
    document.getElementById("sc-name")?.focus();
  } catch (error) {
    toast(explain(error), "error");
  }
}

// ---------------------------------------------------------------- the form
function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj);
}

function setPath(obj, path, value) {
  const keys = path.split(".");
  let o = obj;
  keys.slice(0, -1).forEach((k, i) => {
    if (o[k] === undefined || o[k] === null || typeof o[k] !== "object") o[k] = /^\d+$/.test(keys[i + 1]) ? [] : {};
    o = o[k];
  });
  const last = keys[keys.length - 1];
  if (value === undefined) delete o[last]; else o[last] = value;
}

/** An input bound to a key of the draft (number, text, list, bool, or a select). */
function bound(path, kind = "text", extra = {}) {
  const b = draft.body;
  const now = getPath(b, path);
  let el;
  if (kind === "bool") {
    el = h("input", { type: "checkbox", checked: now === undefined ? extra.default : now });
    el.addEventListener("change", () => { setPath(b, path, el.checked); save(); });
  } else if (kind === "select") {
    el = select(extra.options, now ?? extra.default ?? "", {});
    el.addEventListener("change", () => { setPath(b, path, el.value === "" ? undefined : el.value); save(); extra.redraw && redrawForm(); });
  } else {
    const shown = kind === "list" ? (Array.isArray(now) ? now.join(", ") : now ?? "") : now ?? "";
    el = h("input", { type: kind === "number" ? "number" : kind === "date" ? "date" : "text", value: shown, step: kind === "number" ? "any" : null, placeholder: extra.placeholder || null });
    el.addEventListener("change", () => {
      const raw = el.value.trim();
      let value;
      if (raw === "") value = undefined;
      else if (kind === "number") value = Number(raw);
      else if (kind === "list") value = raw.split(/[,，、\s]+/).filter(Boolean);
      else value = raw;
      setPath(b, path, value);
      save();
    });
  }
  return el;
}

function save() {
  remember("draft", draft);
}

function layerRef(path, title, { optional = true } = {}) {
  const b = draft.body;
  const ref = getPath(b, path) || {};
  const datasets = state.datasets.filter((d) => d.kind === "vector");
  const ds = select([...(optional ? [["", tr("（不使用）", "(none)")]] : []), ...datasets.map((d) => [d.id, d.name])], ref.path || "", {});
  const layer = h("select", {});
  const fill = () => {
    const d = datasets.find((x) => x.id === ds.value);
    const layers = d?.report?.layers || [];
    const cur = getPath(b, `${path}.layer`);
    layer.replaceChildren(h("option", { value: "" }, tr("（默认图层）", "(default layer)")), ...layers.map((l) => h("option", { value: l, selected: l === cur }, l)));
  };
  ds.addEventListener("change", () => {
    if (!ds.value) setPath(b, path, undefined);
    else setPath(b, path, { ...(getPath(b, path) || {}), path: ds.value, layer: undefined });
    fill();
    save();
  });
  layer.addEventListener("change", () => { if (ds.value) { setPath(b, `${path}.layer`, layer.value || undefined); save(); } });
  fill();
  return [field(`${title}：${tr("数据集", "dataset")}`, ds, { path: `${path}.path` }), field(`${title}：${tr("图层", "layer")}`, layer, { path: `${path}.layer` })];
}

function f(labelText, path, kind = "text", extra = {}) {
  return field(labelText, bound(path, kind, extra), { path, hint: extra.hint || null });
}

function facilityBlock(i) {
  const p = `facilities.${i}`;
  const remove = h("button", { type: "button", class: "ghost danger", onclick: () => { draft.body.facilities.splice(i, 1); save(); redrawForm(); } }, tr("删除此设施", "Remove"));
  return h("fieldset", { class: "facility", dataset: { field: p } },
    h("legend", {}, `${tr("设施", "Facility")} ${i + 1}`),
    h("div", { class: "field-error", role: "alert" }),
    h("div", { class: "row" },
      f(tr("类型代码", "Type code"), `${p}.type`, "text", { placeholder: "clinic" }), f(tr("名称", "Label"), `${p}.label`),
      f(tr("数量（固定）", "Count (fixed)"), `${p}.count`, "number"), f(tr("最少数量", "Min count"), `${p}.min_count`, "number"), f(tr("最多数量", "Max count"), `${p}.max_count`, "number")),
    h("div", { class: "row" },
      f(tr("服务半径（米）", "Radius (m)"), `${p}.radius_m`, "number"), f(tr("最小面积（m²）", "Min area (m²)"), `${p}.min_area_m2`, "number"),
      f(tr("最大面积（m²）", "Max area (m²)"), `${p}.max_area_m2`, "number"), f(tr("服务能力（需求权重）", "Capacity (demand weight)"), `${p}.capacity`, "number"),
      f(tr("每处造价（万元）", "Cost per site (10k yuan)"), `${p}.cost_wan`, "number"), f(tr("或每 m² 造价（万元）", "or cost per m²"), `${p}.cost_per_m2_wan`, "number")),
    h("div", { class: "row" },
      f(tr("允许的规划用途前缀", "Allowed planned-use prefixes"), `${p}.allowed_planned_use`, "list", { placeholder: "0806, 08, 16" }),
      f(tr("服务的需求类别", "Demand kinds served"), `${p}.serves`, "list", { placeholder: "residents, workers" }),
      f(tr("覆盖优先权重", "Priority"), `${p}.priority`, "number"),
      f(tr("计入生活配套用地", "Counts as living land"), `${p}.living`, "bool", { default: false }),
      f(tr("允许调整规划用途", "Rezoning allowed"), `${p}.rezoning_allowed`, "bool", { default: true })),
    h("div", { class: "row" }, layerRef(`${p}.existing`, tr("现有设施", "Existing sites")),
      f(tr("现有设施筛选（type 列的值）", "Existing: value of column type"), `${p}.existing.where.type`)),
    may("planner") ? remove : null);
}

function separationBlock(i) {
  const p = `separations.${i}`;
  return h("div", { class: "row", dataset: { field: p } },
    f(tr("设施 A", "Type A"), `${p}.a`), f(tr("设施 B（或 existing:类型）", "Type B (or existing:type)"), `${p}.b`),
    f(tr("最小间距（米）", "Min distance (m)"), `${p}.min_m`, "number"), f(tr("依据", "Source"), `${p}.source`),
    h("button", { type: "button", class: "ghost danger", onclick: () => { draft.body.separations.splice(i, 1); save(); redrawForm(); } }, tr("删除", "Remove")));
}

function redrawForm() {
  const old = document.getElementById("scenario-form");
  if (old) old.replaceWith(formCard());
}

function formCard() {
  const b = draft.body;
  b.facilities = b.facilities || [];
  const status = h("div", { id: "sc-status", role: "status", "aria-live": "polite" });
  const name = bound("name");
  name.id = "sc-name";
  const candidatesKind = Array.isArray(b.candidates) ? "ids" : b.candidates || "revitalisable";
  const cand = select([["revitalisable", tr("可盘活地块（闲置或低效）", "revitalisable (idle or low-efficiency)")], ["all", tr("全部地块", "all parcels")], ["ids", tr("指定地块编号", "listed parcel ids")]], candidatesKind, {});
  const candIds = h("input", { type: "text", value: Array.isArray(b.candidates) ? b.candidates.join(", ") : "", placeholder: "YL-GX-0001, YL-GX-0002" });
  const syncCand = () => {
    b.candidates = cand.value === "ids" ? candIds.value.split(/[,，、\s]+/).filter(Boolean) : cand.value;
    candIds.disabled = cand.value !== "ids";
    save();
  };
  cand.addEventListener("change", syncCand);
  candIds.addEventListener("change", syncCand);
  candIds.disabled = cand.value !== "ids";
  const weights = TERMS.map((t) => f(`${tr("权重", "weight")} ${t}`, `weights.${t}`, "number"));
  const actions = h("fieldset", { class: "inline", dataset: { field: "actions" } }, h("legend", {}, tr("允许的处置方式", "Actions allowed")),
    ACTIONS.map((a) => {
      const box = h("input", { type: "checkbox", id: `act-${a}`, checked: (b.actions || ACTIONS).includes(a) });
      box.addEventListener("change", () => { const cur = new Set(b.actions || ACTIONS); if (box.checked) cur.add(a); else cur.delete(a); b.actions = ACTIONS.filter((x) => cur.has(x)); save(); });
      return h("label", { for: `act-${a}`, class: "check" }, box, ` ${label("actions", a)}`);
    }), h("div", { class: "field-error", role: "alert" }));
  const form = h("form", { class: "card", id: "scenario-form", novalidate: true, onsubmit: (e) => { e.preventDefault(); submit(true); } },
    h("h2", {}, draft.id ? `${tr("修改情景", "Edit scenario")}（${tr("保存为新版本", "saved as a new version")}）` : tr("新情景", "New scenario")),
    h("div", { class: "field-error form-error", role: "alert", dataset: { field: "body" } }),
    h("fieldset", {}, h("legend", {}, tr("基本", "Basics")),
      h("div", { class: "row" }, field(tr("情景名称", "Scenario name"), name, { path: "name", wide: true }),
        f(tr("评价基准日", "As-of date"), "as_of", "date"),
        f(tr("规则预设", "Rule preset"), "rules", "select", { options: state.presets.map((p) => [p.name, p.title]), default: "national" })),
      h("div", { class: "row" }, layerRef("parcels", tr("地块", "Parcels"), { optional: false }),
        field(tr("候选地块", "Candidates"), cand, { path: "candidates" }), field(tr("候选地块编号", "Candidate ids"), candIds))),
    h("fieldset", {}, h("legend", {}, tr("需求与距离", "Demand and distance")),
      h("div", { class: "row" }, layerRef("demand", tr("需求点", "Demand")), f(tr("权重列", "Weight column"), "demand.weight", "text", { placeholder: "weight" }),
        f(tr("类别列", "Kind column"), "demand.kind_column", "text", { placeholder: "kind" })),
      h("div", { class: "row" }, f(tr("距离", "Distance"), "distance", "select", { options: [["euclidean", tr("直线距离", "straight line")], ["network", tr("路网距离", "road network")]], default: "euclidean" }),
        layerRef("roads", tr("路网", "Roads")), layerRef("exclusion", tr("禁建区", "Exclusion")))),
    h("fieldset", { dataset: { field: "facilities" } }, h("legend", {}, tr("设施", "Facilities")),
      h("div", { class: "field-error", role: "alert" }),
      b.facilities.map((_, i) => facilityBlock(i)),
      h("button", { type: "button", class: "ghost", id: "add-facility", onclick: () => { b.facilities.push({ type: "" }); save(); redrawForm(); } }, tr("添加设施类型", "Add a facility type"))),
    h("fieldset", {}, h("legend", {}, tr("目标与预算", "Objective and budget")),
      h("div", { class: "row" }, f(tr("目标", "Objective"), "objective", "select", { options: OBJECTIVES.map(([k, [zh, en]]) => [k, tr(zh, en)]), default: "max_coverage" }),
        f(tr("预算（万元）", "Budget (10k yuan)"), "budget_wan", "number"),
        f(tr("目标项优先顺序（字典序）", "Priorities (lexicographic)"), "priorities", "list", { placeholder: "coverage, net_return" })),
      h("div", { class: "row" }, weights), actions),
    h("details", {}, h("summary", {}, tr("用地比例、经济参数、间距、求解器", "Land shares, economics, separations, solver")),
      h("fieldset", {}, h("legend", {}, tr("用地比例", "Land shares")),
        h("div", { class: "row" }, f(tr("生活配套用地比例上限", "Living land max share"), "land_shares.living_max", "number"),
          f(tr("工业用地率下限", "Industrial land min share"), "land_shares.industrial_min", "number"),
          f(tr("工业用地代码", "Industrial codes"), "land_shares.industrial_codes", "list", { placeholder: "10, 11" }))),
      h("fieldset", {}, h("legend", {}, tr("经济参数", "Economics")),
        h("div", { class: "row" }, ECONOMICS.map(([k, [zh, en]]) => f(tr(zh, en), `economics.${k}`, "number")))),
      h("fieldset", { dataset: { field: "separations" } }, h("legend", {}, tr("设施间距", "Separations")),
        (b.separations || []).map((_, i) => separationBlock(i)),
        h("button", { type: "button", class: "ghost", onclick: () => { b.separations = [...(b.separations || []), { a: "", b: "", min_m: 50 }]; save(); redrawForm(); } }, tr("添加间距要求", "Add a separation"))),
      h("fieldset", {}, h("legend", {}, tr("求解器", "Solver")),
        h("div", { class: "row" }, f(tr("求解器", "Solver"), "solver.name", "select", { options: [["cbc", "CBC"], ["highs", "HiGHS"]], default: "cbc" }),
          f(tr("时限（秒）", "Time limit (s)"), "solver.time_limit_s", "number"), f(tr("允许相对间隙", "MIP gap"), "solver.mip_gap", "number"),
          f(tr("线程", "Threads"), "solver.threads", "number")))),
    may("planner") ? runOptions() : null,
    may("planner") ? h("div", { class: "actions" },
      h("button", { type: "button", class: "ghost", id: "save-scenario", onclick: () => submit(false) }, tr("保存", "Save")),
      h("button", { type: "submit", class: "primary", id: "save-run" }, tr("保存并运行", "Save and run")),
      h("button", { type: "button", class: "ghost", onclick: () => { draft = null; remember("draft", null); draw(); } }, tr("关闭", "Close"))) : null,
    status);
  return form;
}

const PAIRS = [
  ["", ["不计算", "none"]],
  ["coverage:cost", ["覆盖 ↔ 投入（投入设上限）", "coverage vs cost (cost bounded)"]],
  ["net_return:coverage", ["净收益 ↔ 覆盖（覆盖设下限）", "net return vs coverage (coverage bounded)"]],
  ["coverage:net_return", ["覆盖 ↔ 净收益（净收益设下限）", "coverage vs net return (net return bounded)"]],
  ["net_return:cost", ["净收益 ↔ 投入（投入设上限）", "net return vs cost (cost bounded)"]],
];

/** How the next run is made: with a trade-off frontier (a run option, not a scenario key). */
function runOptions() {
  draft.run = draft.run || { frontier: "", steps: 5 };
  const pair = select(PAIRS.map(([k, [zh, en]]) => [k, tr(zh, en)]), draft.run.frontier, { id: "run-frontier" });
  const steps = h("input", { type: "number", id: "run-steps", min: "2", max: "12", value: String(draft.run.steps) });
  pair.addEventListener("change", () => { draft.run.frontier = pair.value; save(); });
  steps.addEventListener("change", () => { draft.run.steps = Number(steps.value) || 5; save(); });
  return h("fieldset", { dataset: { field: "run" } }, h("legend", {}, tr("运行选项", "Run options")),
    h("div", { class: "field-error", role: "alert" }),
    h("div", { class: "row" }, field(tr("权衡前沿（ε 约束法）", "Trade-off frontier (ε-constraint)"), pair, { path: "frontier" }),
      field(tr("前沿点数", "Frontier points"), steps, { path: "steps" })));
}

/** The scenario JSON from the draft: empty values dropped (the API's defaults apply). */
export function cleanBody(value) {
  if (Array.isArray(value)) return value.map(cleanBody).filter((v) => v !== undefined);
  if (value && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) {
      const c = cleanBody(v);
      if (c === undefined) continue;
      if (c && typeof c === "object" && !Array.isArray(c) && Object.keys(c).length === 0) continue;
      out[k] = c;
    }
    return out;
  }
  if (value === "" || value === null || (typeof value === "number" && Number.isNaN(value))) return undefined;
  return value;
}

/** Split the API's 422 message into (path, message) pairs: "a.0.b: msg; c: msg". */
export function fieldErrors(message) {
  const tail = message.includes(" — ") ? message.slice(message.indexOf(" — ") + 3) : message;
  const re = /(?:^|; )((?:[A-Za-z_][A-Za-z0-9_]*|\d+)(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|\d+))*): /g;
  const marks = [...tail.matchAll(re)];
  if (!marks.length) return [["body", message]];
  return marks.map((m, i) => {
    const start = m.index + m[0].length;
    const end = i + 1 < marks.length ? marks[i + 1].index : tail.length;
    return [m[1], plainWords(tail.slice(start, end).replace(/^Value error, /, ""))];
  });
}

/** pydantic's generic English phrases in the page's language (the rule's own messages are bilingual). */
function plainWords(msg) {
  const words = [
    [/^Field required$/, tr("必填项：请填写", "required: fill this in")],
    [/^Input should be a valid number.*$/, tr("应为数字", "should be a number")],
    [/^Input should be a valid integer.*$/, tr("应为整数", "should be a whole number")],
    [/^Input should be greater than or equal to (.+)$/, tr("应不小于 $1", "should be at least $1")],
    [/^Input should be greater than (.+)$/, tr("应大于 $1", "should be greater than $1")],
    [/^Input should be less than or equal to (.+)$/, tr("应不大于 $1", "should be at most $1")],
    [/^Input should be less than (.+)$/, tr("应小于 $1", "should be less than $1")],
    [/^Input should be a valid date.*$/, tr("应为日期（年-月-日）", "should be a date (YYYY-MM-DD)")],
    [/^Extra inputs are not permitted$/, tr("不认识的键", "unknown key")],
  ];
  for (const [re, text] of words) if (re.test(msg)) return msg.replace(re, text);
  return msg;
}

function showErrors(form, error) {
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const pairs = error.status === 422 && error.code === "validation_error" ? fieldErrors(error.message) : [["body", explain(error)]];
  let first = null;
  for (const [path, msg] of pairs) {
    let p = path;
    let holder = null;
    while (p) {
      holder = form.querySelector(`[data-field="${CSS.escape(p)}"]`);
      if (holder) break;
      p = p.includes(".") ? p.slice(0, p.lastIndexOf(".")) : "";
    }
    holder = holder || form.querySelector('[data-field="body"]');
    const err = holder.querySelector(":scope > .field-error") || holder.querySelector(".field-error");
    err.textContent = err.textContent ? `${err.textContent}；${msg}` : msg;
    const input = holder.querySelector("input, select");
    if (input && holder.classList.contains("field")) input.setAttribute("aria-invalid", "true");
    first = first || input || holder;
  }
  if (first) first.focus?.();
}

async function submit(run) {
  const form = document.getElementById("scenario-form");
  const status = document.getElementById("sc-status");
  const body = cleanBody(draft.body);
  status.textContent = tr("正在保存…", "Saving…");
  let created;
  try {
    created = draft.id
      ? await api(`/scenarios/${draft.id}`, { method: "PUT", body })
      : await api("/scenarios", { method: "POST", body });
  } catch (error) {
    status.textContent = tr("未保存：请按标出的字段修改。", "Not saved: fix the fields marked.");
    showErrors(form, error);
    return;
  }
  draft.id = created.id;
  draft.version = created.version;
  save();
  remember("scenario", created.id);
  status.textContent = tr(`已保存为第 ${created.version} 版。`, `Saved as version ${created.version}.`);
  if (run) {
    try {
      const runBody = { version: created.version };
      if (draft.run?.frontier) Object.assign(runBody, { frontier: draft.run.frontier, steps: draft.run.steps || 5 });
      const job = await api(`/scenarios/${created.id}/runs`, { method: "POST", body: runBody });
      remember("run", job.job_id);
      scrollToRun = job.job_id;
      follow(job.job_id); // first: if the connection drops now, the job is still followed
      await refresh();
    } catch (error) {
      status.textContent = explain(error);
      return;
    }
  } else await refresh();
  draw();
}

// ---------------------------------------------------------------- runs and results
function runRow(j) {
  return h("tr", { dataset: { key: j.id }, class: recall("run") === j.id ? "selected" : null },
    h("td", {}, h("button", { type: "button", class: "link", onclick: () => { remember("run", j.id); draw(); } }, `${tr("第", "v")}${j.scenario_version}${tr(" 版", "")} · ${fmtDate(j.created_at)}`)),
    h("td", {}, progressCell(j)),
    h("td", {}, !isFinished(j) && may("planner") ? h("button", { type: "button", class: "ghost danger", id: `cancel-${j.id}`, onclick: () => cancelJob(j.id) }, tr("取消", "Cancel")) : null));
}

function runsCard(sid) {
  const s = state.scenarios.find((x) => x.id === sid);
  const runs = runsOf(sid);
  return h("section", { class: "card", id: "runs-card" },
    h("div", { class: "bar" }, h("h2", {}, `${tr("运行记录", "Runs")}：${s.name}`),
      may("planner") ? h("button", { type: "button", class: "primary", id: "run-latest", onclick: async () => {
        try {
          const job = await api(`/scenarios/${sid}/runs`, { method: "POST", body: {} });
          remember("run", job.job_id);
          await refresh();
          follow(job.job_id);
          draw();
        } catch (error) { toast(explain(error), "error"); }
      } }, tr("运行最新版本", "Run the latest version")) : null),
    runs.length ? h("table", { class: "grid", id: "runs" }, h("thead", {}, h("tr", {}, [tr("运行", "Run"), tr("状态", "Status"), ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, runs.map(runRow))) : h("p", { class: "muted" }, tr("尚未运行。", "Not run yet.")));
}

export async function loadPlan(jobId) {
  if (!plans.has(jobId)) {
    // the candidates with their actions, and around them the park's other parcels and the demand
    // (covered or not); a run from before these layers were written has only the candidates
    const layer = (name) => api(`/jobs/${jobId}/layers/${name}?format=geojson`).catch(() => null);
    const [plan, geojson, context, demand] = await Promise.all([api(`/jobs/${jobId}/results`), layer("plan"), layer("context"), layer("demand")]);
    plans.set(jobId, { plan, geojson, context, demand });
  }
  return plans.get(jobId);
}

export function actionColour(p) {
  const a = p.action || "keep";
  if (a.startsWith("facility:")) return colour("facility_types", a.slice(9), "#1b9e77");
  return colour("actions", a, "#a8a8a8");
}

export function actionText(a) {
  if (!a) return label("actions", "keep");
  if (a.startsWith("facility:")) return `${label("actions", "facility")}：${label("facility_types", a.slice(9))}`;
  return label("actions", a);
}

let scrollToRun = null; // the run just started: its result is brought into view when it arrives

async function showRun(holder, job) {
  if (!isFinished(job)) {
    holder.replaceChildren(h("section", { class: "card", id: "run-progress" }, h("h2", {}, tr("规划求解中", "Solving")), progressCell(job),
      may("planner") ? h("button", { type: "button", class: "ghost danger", id: "cancel-run", onclick: () => cancelJob(job.id) }, tr("取消运行", "Cancel the run")) : null));
    if (scrollToRun === job.id) holder.scrollIntoView({ block: "start" });
    return;
  }
  if (job.status !== "successful") {
    holder.replaceChildren(h("section", { class: "card error", id: "run-failed" }, h("h2", {}, job.status === "dismissed" ? tr("运行已取消", "The run was cancelled") : tr("运行失败", "The run failed")),
      h("p", {}, job.message || job.error_code || "")));
    return;
  }
  let data;
  try { data = await loadPlan(job.id); } catch (error) { holder.replaceChildren(h("p", { class: "error" }, explain(error))); return; }
  if (!holder.isConnected) return; // the planner moved on meanwhile
  holder.replaceChildren(planCard(job, data));
  const mapEl = holder.querySelector(".map");
  if (mapEl && data.geojson) planMap(mapEl, data.geojson, { context: data.context, demand: data.demand });
  if (scrollToRun === job.id) { holder.scrollIntoView({ block: "start" }); scrollToRun = null; }
}

const CONTEXT_STYLE = { color: "#9e9e9e", weight: 0.5, fillColor: "#e0e0e0", fillOpacity: 0.5, interactive: false };
const COVERED = "#2c7fb8";
const UNCOVERED = "#f03b20";

/** The facility types a demand point carries a covered_<type> flag for. */
const demandTypes = (p) => Object.keys(p).filter((k) => k.startsWith("covered_")).map((k) => k.slice(8));
const coveredBy = (p, type) => [true, 1, "true"].includes(p[`covered_${type}`]);

/** Whether a demand point is covered by every facility type of the plan. */
function demandCovered(p) {
  const types = demandTypes(p);
  return types.length > 0 && types.every((t) => coveredBy(p, t));
}

function demandPopup(p) {
  const lines = demandTypes(p).map((t) => {
    const on = coveredBy(p, t);
    const site = p[`site_${t}`];
    return `${label("facility_types", t)}：${on ? tr("已覆盖", "covered") : tr("未覆盖", "not covered")}${on && site ? `（${site}）` : ""}`;
  });
  return [`${tr("需求权重", "weight")} ${fmtNumber(p.weight, 0)}`, ...lines].join("<br>");
}

/** Demand points as small circles, covered or not, under a toggle of their own; returns counts. */
function demandLayer(map, demand) {
  const counts = { covered: 0, uncovered: 0 };
  const layer = L.geoJSON(demand, {
    pointToLayer: (f, latlng) => {
      const on = demandCovered(f.properties);
      counts[on ? "covered" : "uncovered"] += 1;
      return L.circleMarker(latlng, { radius: 3.5, weight: 0.8, color: "#ffffff", fillColor: on ? COVERED : UNCOVERED, fillOpacity: 0.9 });
    },
    onEachFeature: (f, lyr) => lyr.bindPopup(() => demandPopup(f.properties)),
  }).addTo(map);
  return { layer, counts };
}

export function planMap(el, geojson, { outlineIds = null, context = null, demand = null } = {}) {
  const map = makeMap(el);
  const overlays = {};
  if (context?.features?.length) {
    overlays[tr("园区其余地块", "Other parcels of the park")] = L.geoJSON(context, { style: () => CONTEXT_STYLE }).addTo(map);
  }
  const { byId } = parcelLayer(map, geojson, actionColour, {
    tooltip: (p) => `${p.parcel_id} ${p.name || ""}：${actionText(p.action)}`,
    weightOf: outlineIds ? (p) => (outlineIds.has(String(p.parcel_id)) ? 3 : 0.6) : null,
  });
  const counts = {};
  for (const f of geojson.features) counts[f.properties.action || "keep"] = (counts[f.properties.action || "keep"] || 0) + 1;
  const entries = Object.entries(counts).map(([a, n]) => [actionColour({ action: a }), actionText(a), n]);
  if (overlays[tr("园区其余地块", "Other parcels of the park")]) entries.push([CONTEXT_STYLE.fillColor, tr("园区其余地块（非候选）", "other parcels (not candidates)")]);
  if (demand?.features?.length) {
    const d = demandLayer(map, demand);
    overlays[tr("需求点", "Demand points")] = d.layer;
    entries.push([COVERED, tr("需求点：已覆盖", "demand: covered"), d.counts.covered], [UNCOVERED, tr("需求点：未覆盖", "demand: not covered"), d.counts.uncovered]);
  }
  legend(map, tr("处置方式", "Action"), entries);
  if (Object.keys(overlays).length) L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
  return { map, byId };
}

export function diagnosisBox(plan) {
  const diag = plan.diagnosis || [];
  if (!diag.length) return null;
  const blocking = diag.filter((d) => d.blocking);
  const other = diag.filter((d) => !d.blocking);
  return h("div", { class: blocking.length || plan.status === "infeasible" ? "diagnosis infeasible" : "diagnosis", id: "diagnosis" },
    plan.status === "infeasible" ? h("h3", {}, tr("无可行方案：以下规则不能同时满足", "No plan can meet every rule: these cannot all hold")) : h("h3", {}, tr("需要注意", "Worth knowing")),
    blocking.length ? h("ul", {}, blocking.map((d) => h("li", {}, h("strong", {}, ruleWords(d.rule)), `：${d.message}`))) : null,
    other.length ? h("ul", { class: "muted" }, other.map((d) => h("li", {}, h("strong", {}, ruleWords(d.rule)), `：${d.message}`))) : null,
    plan.status === "infeasible" ? h("p", {}, tr("可以放宽上面标出的条件（例如提高预算、减少必建数量、放宽面积或半径），复制情景后再运行。", "Relax one of the rules above (a larger budget, fewer mandatory sites, wider area or radius), duplicate the scenario and run again.")) : null);
}

/** A scenario rule name in words: facilities[clinic].radius_m → 设施 clinic 的服务半径. */
export function ruleWords(rule) {
  const names = {
    budget_wan: tr("预算", "budget"), radius_m: tr("服务半径", "radius"), count: tr("数量", "count"), min_count: tr("最少数量", "minimum count"),
    max_count: tr("最多数量", "maximum count"), min_area_m2: tr("最小面积", "minimum area"), max_area_m2: tr("最大面积", "maximum area"),
    capacity: tr("服务能力", "capacity"), allowed_planned_use: tr("允许的规划用途", "allowed planned use"), living_max: tr("生活配套用地比例上限", "living land share"),
    industrial_min: tr("工业用地率下限", "industrial land rate"), separations: tr("设施间距", "separation"), candidates: tr("候选地块", "candidates"),
  };
  const m = /^facilities\[([^\]]+)\]\.?(.*)$/.exec(rule || "");
  if (m) return `${tr("设施", "facility")} ${label("facility_types", m[1])} ${m[2] ? tr("的", "") + (names[m[2]] || m[2]) : ""}`.trim();
  const last = String(rule || "").split(".").pop();
  return names[last] || rule;
}

function planCard(job, { plan, geojson }) {
  const s = state.scenarios.find((x) => x.id === job.scenario_id);
  const cov = Object.entries(plan.coverage_by_type || {});
  const land = Object.entries(plan.land_by_action || {});
  return h("section", { class: "card", id: "plan" },
    h("div", { class: "bar" }, h("h2", {}, `${tr("规划结果", "Plan")}：${s?.name || plan.name} · ${tr("第", "v")}${job.scenario_version}${tr(" 版", "")}`),
      h("span", { class: `badge ${plan.status}`, id: "plan-status" }, tr(plan.status_zh || plan.status, plan.status))),
    diagnosisBox(plan),
    h("div", { class: "split" },
      h("div", { class: "map-col" }, geojson ? mapBox("plan-map", tr("规划地图", "plan map")) : h("p", { class: "muted" }, tr("没有可绘制的方案。", "No plan to draw."))),
      h("div", { class: "table-col" },
        h("dl", { class: "facts", id: "plan-numbers" },
          [[tr("目标值", "Objective"), `${fmtNumber(plan.objective, 3)}（${plan.objective_name}）`],
            [tr("需求覆盖率", "Coverage"), fmtPercent(plan.coverage_ratio)],
            [tr("覆盖需求", "Covered demand"), fmtNumber(plan.covered_demand, 0)],
            [tr("总投入（万元）", "Total cost (10k yuan)"), fmtNumber(plan.total_cost_wan, 1)],
            [tr("财政收入（万元）", "Fiscal return (10k yuan)"), fmtNumber(plan.total_return_wan, 1)],
            [tr("净收益（万元）", "Net return (10k yuan)"), fmtNumber(plan.net_return_wan, 1)],
            [tr("选中地块", "Parcels chosen"), fmtNumber((plan.selected || []).length, 0)],
            [tr("最优间隙", "MIP gap"), plan.mip_gap === null ? "—" : fmtPercent(plan.mip_gap, 2)],
            [tr("求解", "Solver"), `${plan.solver?.message || ""}（${fmtNumber(plan.solve_seconds, 2)} s）`]].map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
        cov.length ? h("table", { class: "grid compact", id: "coverage-by-type" }, h("caption", {}, tr("各类设施覆盖", "Coverage by type")),
          h("thead", {}, h("tr", {}, [tr("设施", "Facility"), tr("覆盖", "Covered"), tr("总需求", "Total"), tr("覆盖率", "Ratio")].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, cov.map(([t, c]) => h("tr", {}, h("td", {}, label("facility_types", t)), h("td", { class: "num" }, fmtNumber(c.covered, 0)), h("td", { class: "num" }, fmtNumber(c.total, 0)), h("td", { class: "num" }, fmtPercent(c.ratio)))))) : null,
        land.length ? h("table", { class: "grid compact", id: "land-by-action" }, h("caption", {}, tr("按处置方式的用地", "Land by action")),
          h("thead", {}, h("tr", {}, [tr("处置", "Action"), tr("宗数", "Parcels"), tr("面积（亩）", "Area (mu)")].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, land.map(([a, v]) => h("tr", {}, h("td", {}, actionText(a)), h("td", { class: "num" }, fmtNumber(v.count, 0)), h("td", { class: "num" }, fmtNumber(v.area_mu, 1)))))) : null,
        (plan.warnings || []).length ? h("ul", { class: "muted" }, plan.warnings.map((w) => h("li", {}, w))) : null)),
    plan.frontier ? frontierBox(plan) : null,
    plan.frontier_note ? h("p", { class: "warn", id: "frontier-note" }, `${tr("未能计算权衡前沿", "No frontier")}：${plan.frontier_note}`) : null);
}

const TERM_VALUE = {
  coverage: [(r) => (r.coverage === null ? null : r.coverage * 100), ["需求覆盖率（%）", "coverage (%)"]],
  cost: [(r) => r.cost_wan, ["投入（万元）", "cost (10k yuan)"]],
  net_return: [(r) => r.net_return_wan, ["净收益（万元）", "net return (10k yuan)"]],
};

/** The trade-off curve (ε-constraint frontier): A up the side, B along the bottom. */
function frontierBox(plan) {
  const rows = plan.frontier;
  const [a, b] = String(rows[0]?.pair || ":").split(":");
  const [ya, yLabel] = TERM_VALUE[a] || TERM_VALUE.coverage;
  const [xb, xLabel] = TERM_VALUE[b] || TERM_VALUE.cost;
  const pts = rows.map((r) => ({ x: xb(r), y: ya(r), dominated: r.dominated, r })).filter((p) => p.x !== null && p.y !== null);
  const W = 520, H = 300, L = 70, R = 20, T = 16, B = 46;
  const xs = pts.map((p) => p.x), ys = pts.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const sx = (x) => L + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y) => H - B - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (H - T - B);
  const NS = "http://www.w3.org/2000/svg";
  const el = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v)); if (text !== undefined) e.textContent = text; return e; };
  const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": tr("权衡前沿曲线", "trade-off curve"), id: "frontier-chart", class: "chart" });
  svg.append(el("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }), el("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
  for (const [v, pos] of [[x0, "start"], [x1, "end"]]) svg.append(el("text", { x: sx(v), y: H - B + 16, "text-anchor": pos, class: "tick" }, fmtNumber(v, 1)));
  for (const v of [y0, y1]) svg.append(el("text", { x: L - 6, y: sy(v) + 4, "text-anchor": "end", class: "tick" }, fmtNumber(v, 1)));
  svg.append(el("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", class: "label" }, tr(...xLabel)));
  svg.append(el("text", { x: 14, y: (T + H - B) / 2, "text-anchor": "middle", class: "label", transform: `rotate(-90 14 ${(T + H - B) / 2})` }, tr(...yLabel)));
  const front = pts.filter((p) => !p.dominated).sort((p, q) => p.x - q.x);
  svg.append(el("polyline", { points: front.map((p) => `${sx(p.x)},${sy(p.y)}`).join(" "), class: "front" }));
  for (const p of pts) {
    const c = el("circle", { cx: sx(p.x), cy: sy(p.y), r: 5, class: p.dominated ? "pt dominated" : "pt" });
    c.append(el("title", {}, `${tr(...xLabel)} ${fmtNumber(p.x, 1)} · ${tr(...yLabel)} ${fmtNumber(p.y, 1)}`));
    svg.append(c);
  }
  return h("div", { class: "frontier", id: "frontier" },
    h("h3", {}, `${tr("权衡前沿", "Trade-off frontier")}：${tr(...yLabel)} ↔ ${tr(...xLabel)}（${rows.length} ${tr("个点", "points")}）`),
    h("div", { class: "row top" }, svg,
      h("table", { class: "grid compact", id: "frontier-table" },
        h("thead", {}, h("tr", {}, ["#", tr(...xLabel), tr(...yLabel), tr("选中地块", "parcels"), tr("状态", "status")].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map((r) => h("tr", { class: r.dominated ? "muted" : null }, h("td", {}, r.step), h("td", { class: "num" }, fmtNumber(xb(r), 1)),
          h("td", { class: "num" }, fmtNumber(ya(r), 1)), h("td", { class: "num" }, r.n_selected), h("td", {}, r.status + (r.dominated ? tr("（被支配）", " (dominated)") : ""))))))),
    h("p", { class: "muted" }, tr("ε 约束法：在另一项设为界限的各档下优化该项；被支配的点（有别的点两项都不差）以灰色标出。", "ε-constraint: the first term optimised with the second bounded at each step; dominated points greyed.")));
}
