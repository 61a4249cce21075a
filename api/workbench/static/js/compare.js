// 比较 Compare: two or more successful runs side by side, differences marked, and the dual map.
import { api, explain } from "./api.js";
import { draw } from "./main.js";
import { actionText, loadPlan, planMap, runsOf } from "./scenarios.js";
import { syncMaps, mapBox } from "./map.js";
import { fmtDate, fmtNumber, fmtPercent, h, recall, remember, state, tr } from "./util.js";

function runName(j) {
  const s = state.scenarios.find((x) => x.id === j.scenario_id);
  return `${s?.name || tr("（已删除的情景）", "(deleted scenario)")} v${j.scenario_version}`;
}

export function render(main) {
  main.append(h("h1", {}, tr("方案比较", "Compare runs")));
  const runs = runsOf(null).filter((j) => j.status === "successful");
  const chosen = new Set(recall("compare", []));
  const boxes = runs.map((j) => {
    const box = h("input", { type: "checkbox", id: `cmp-${j.id}`, value: j.id, checked: chosen.has(j.id) });
    return h("li", {}, h("label", { for: box.id, class: "check" }, box, ` ${runName(j)} · ${fmtDate(j.created_at)}`));
  });
  const status = h("div", { role: "status", id: "cmp-status" });
  const form = h("form", { class: "card", id: "compare-form", onsubmit: (e) => {
    e.preventDefault();
    const ids = [...form.querySelectorAll("input:checked")].map((b) => b.value);
    if (ids.length < 2) { status.textContent = tr("请至少选择两次运行。", "Choose at least two runs."); return; }
    remember("compare", ids);
    draw();
  } },
  h("h2", {}, tr("选择要比较的运行", "Choose the runs to compare")),
  runs.length < 2 ? h("p", { class: "muted" }, tr("需要至少两次成功的规划运行。", "At least two successful plan runs are needed.")) : h("ul", { class: "plain" }, boxes),
  h("button", { type: "submit", class: "primary", id: "compare-run", disabled: runs.length < 2 }, tr("比较", "Compare")), status);
  main.append(form);
  // the earliest run is the baseline the others are measured against
  const ids = runs.filter((j) => chosen.has(j.id)).sort((a, b) => String(a.created_at).localeCompare(String(b.created_at))).map((j) => j.id);
  if (ids.length >= 2) {
    const holder = h("div", { id: "comparison" }, h("p", { class: "muted" }, tr("正在比较…", "Comparing…")));
    main.append(holder);
    show(holder, ids).catch((error) => holder.replaceChildren(h("p", { class: "error" }, explain(error))));
  }
}

async function show(holder, ids) {
  const [cmp, ...plans] = await Promise.all([api("/comparisons", { method: "POST", body: { job_ids: ids } }), ...ids.map(loadPlan)]);
  if (!holder.isConnected) return; // the planner moved on meanwhile
  const jobs = ids.map((id) => state.jobs.find((j) => j.id === id));
  const types = [...new Set(plans.flatMap((p) => Object.keys(p.plan.coverage_by_type || {})))];
  const actions = [...new Set(plans.flatMap((p) => Object.keys(p.plan.land_by_action || {})))];
  const metrics = [
    [tr("状态", "Status"), (i) => plans[i].plan.status_zh || cmp.rows[i].status, null],
    [tr("目标值", "Objective"), (i) => cmp.rows[i].objective, (v) => fmtNumber(v, 3)],
    [tr("需求覆盖率", "Coverage"), (i) => cmp.rows[i].coverage_ratio, (v) => fmtPercent(v)],
    [tr("覆盖需求", "Covered demand"), (i) => cmp.rows[i].covered_demand, (v) => fmtNumber(v, 0)],
    [tr("总投入（万元）", "Total cost (10k yuan)"), (i) => cmp.rows[i].total_cost_wan, (v) => fmtNumber(v, 1)],
    [tr("净收益（万元）", "Net return (10k yuan)"), (i) => plans[i].plan.net_return_wan, (v) => fmtNumber(v, 1)],
    [tr("选中地块数", "Parcels chosen"), (i) => cmp.rows[i].selected, (v) => fmtNumber(v, 0)],
    [tr("最优间隙", "MIP gap"), (i) => cmp.rows[i].mip_gap, (v) => fmtPercent(v, 2)],
    ...types.map((t) => [`${tr("覆盖率", "Coverage")}：${t}`, (i) => plans[i].plan.coverage_by_type?.[t]?.ratio ?? null, (v) => fmtPercent(v)]),
    ...actions.map((a) => [`${actionText(a)}（${tr("亩", "mu")}）`, (i) => plans[i].plan.land_by_action?.[a]?.area_mu ?? 0, (v) => fmtNumber(v, 1)]),
  ];
  const rows = metrics.map(([name, get, fmt]) => {
    const values = ids.map((_, i) => get(i));
    const base = values[0];
    return h("tr", {}, h("th", { scope: "row" }, name), values.map((v, i) => {
      const differs = i > 0 && JSON.stringify(v) !== JSON.stringify(base);
      let delta = null;
      if (differs && typeof v === "number" && typeof base === "number") {
        const d = v - base;
        delta = h("span", { class: d > 0 ? "up" : "down" }, ` (${d > 0 ? "+" : ""}${fmt ? fmt(d) : d})`);
      }
      return h("td", { class: differs ? "num diff" : "num", title: differs ? tr("与第一列不同", "differs from the first column") : null },
        fmt ? fmt(v) : String(v ?? "—"), delta);
    }));
  });
  const table = h("table", { class: "grid compare", id: "compare-table" },
    h("caption", {}, tr("与第一列不同的值以底色标出，括号内为差值。", "Values that differ from the first column are highlighted; the difference in brackets.")),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, tr("指标", "Measure")), jobs.map((j) => h("th", { scope: "col" }, runName(j))))),
    h("tbody", {}, rows));
  const dual = h("section", { class: "card", id: "dual-map" });
  holder.replaceChildren(h("section", { class: "card" }, h("h2", {}, tr("并排比较", "Side by side")), h("div", { class: "scroll-x" }, table)), dual);
  dualMap(dual, plans, jobs, 0, 1);
}

// The dual map of two of the compared runs; with more than two, the planner picks which two.
function dualMap(section, plans, jobs, li, ri) {
  const a = plans[li].geojson;
  const b = plans[ri].geojson;
  const actionOf = (g) => new Map((g?.features || []).map((f) => [String(f.properties.parcel_id), f.properties.action || "keep"]));
  const aa = actionOf(a);
  const bb = actionOf(b);
  const changed = new Set([...aa.keys(), ...bb.keys()].filter((id) => (aa.get(id) || "keep") !== (bb.get(id) || "keep")));
  const left = mapBox("compare-map-a", runName(jobs[li]));
  const right = mapBox("compare-map-b", runName(jobs[ri]));
  const pickers = [];
  if (jobs.length > 2) {
    const picker = (id, label, value) => {
      const select = h("select", { id, name: id }, jobs.map((j, i) => h("option", { value: String(i), selected: i === value }, runName(j))));
      select.addEventListener("change", () => {
        const l = Number(section.querySelector("#dual-left").value);
        const r = Number(section.querySelector("#dual-right").value);
        if (l === r) { section.querySelector("#dual-status").textContent = tr("请选择两次不同的运行。", "Choose two different runs."); return; }
        dualMap(section, plans, jobs, l, r);
      });
      return h("label", { for: id }, label, " ", select);
    };
    pickers.push(h("div", { class: "row", id: "dual-pick" },
      picker("dual-left", tr("左图", "Left map"), li), picker("dual-right", tr("右图", "Right map"), ri),
      h("span", { role: "status", id: "dual-status", class: "muted" })));
  }
  section.replaceChildren(h("h2", {}, `${tr("双图对照", "Dual map")}：${runName(jobs[li])} ↔ ${runName(jobs[ri])}`), ...pickers,
    h("p", { class: "muted", id: "changed-count" }, tr(`处置方式不同的地块 ${changed.size} 宗（粗深蓝边）。`, `${changed.size} parcels with a different action (thick outline).`)),
    h("div", { class: "dual" }, h("figure", {}, h("figcaption", {}, runName(jobs[li])), left), h("figure", {}, h("figcaption", {}, runName(jobs[ri])), right)));
  if (a && b) {
    const m1 = planMap(left, a, { outlineIds: changed, context: plans[li].context, demand: plans[li].demand }).map;
    const m2 = planMap(right, b, { outlineIds: changed, context: plans[ri].context, demand: plans[ri].demand }).map;
    syncMaps(m1, m2);
  }
}
