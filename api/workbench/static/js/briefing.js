// 简报 Briefing: an analysis (its parcels) or a scenario run; preview and download the PDF.
import { api, explain } from "./api.js";
import { analyses, datasetName } from "./analysis.js";
import { runsOf } from "./scenarios.js";
import { download, field, fmtDate, h, recall, remember, select, state, tr } from "./util.js";

let previewUrl = null;

export function render(main) {
  main.append(h("h1", {}, tr("简报", "Briefing")));
  const done = [
    ...analyses().filter((j) => j.status === "successful").map((j) => [j.id, `${tr("分析", "Analysis")}：${datasetName(j.dataset_id)} · ${fmtDate(j.created_at)}`]),
    ...runsOf(null).filter((j) => j.status === "successful").map((j) => [j.id, `${tr("情景", "Scenario")}：${state.scenarios.find((s) => s.id === j.scenario_id)?.name || j.scenario_id} v${j.scenario_version} · ${fmtDate(j.created_at)}`]),
  ];
  const source = select(done, recall("brief") || done[0]?.[0], { id: "brief-source" });
  const status = h("div", { role: "status", id: "brief-status", "aria-live": "polite" });
  const frame = h("iframe", { id: "brief-preview", title: tr("简报预览", "briefing preview"), class: "preview" });
  const scope = h("div", { id: "brief-scope", class: "inline" });
  const fillScope = () => {
    const picked = recall(`brief.${source.value}`, []);
    const isAnalysis = analyses().some((j) => j.id === source.value);
    scope.replaceChildren();
    if (!isAnalysis) return;
    const all = h("input", { type: "radio", name: "scope", id: "scope-all", value: "all", checked: !picked.length });
    const sel = h("input", { type: "radio", name: "scope", id: "scope-picked", value: "picked", checked: picked.length > 0, disabled: !picked.length });
    scope.append(h("fieldset", { class: "inline" }, h("legend", {}, tr("简报范围", "Briefing of")),
      h("label", { class: "check", for: "scope-all" }, all, tr(" 全部闲置与低效地块", " all idle and low-efficiency parcels")),
      h("label", { class: "check", for: "scope-picked" }, sel, picked.length
        ? tr(` 在「分析」表中选中的 ${picked.length} 宗：${picked.slice(0, 6).join("、")}${picked.length > 6 ? " …" : ""}`, ` the ${picked.length} parcels chosen in the Analysis table`)
        : tr(" 选中的地块（在「分析」的地块表中勾选）", " chosen parcels (tick them in the Analysis table)"))));
  };
  source.addEventListener("change", fillScope);
  fillScope();
  const fetchPdf = async () => {
    status.textContent = tr("正在生成简报…", "Building the briefing…");
    const picked = recall(`brief.${source.value}`, []);
    const usePicked = document.getElementById("scope-picked")?.checked && picked.length;
    const blob = usePicked
      ? await api(`/jobs/${source.value}/briefings`, { method: "POST", body: { parcels: picked }, blob: true })
      : await api(`/jobs/${source.value}/briefing.pdf`, { blob: true });
    status.textContent = tr(`简报 ${(blob.size / 1024).toFixed(0)} KB`, `Briefing ${(blob.size / 1024).toFixed(0)} KB`);
    return blob;
  };
  main.append(h("section", { class: "card" },
    h("p", {}, tr("一事一议简报：分析的简报列出闲置与低效地块（逐宗依据与处置建议）；情景的简报列出方案的地图与数字。",
      "The briefing of an analysis lists its idle and low-efficiency parcels (basis and proposed handling); a scenario's lists the plan's map and numbers.")),
    done.length ? h("div", { class: "row" }, field(tr("简报对象", "Brief"), source, { wide: true })) : h("p", { class: "muted" }, tr("需要一个已完成的分析或运行。", "A finished analysis or run is needed.")),
    scope,
    h("div", { class: "actions" },
      h("button", { type: "button", class: "ghost", id: "brief-show", disabled: !done.length, onclick: async () => {
        remember("brief", source.value);
        try {
          const blob = await fetchPdf();
          if (previewUrl) URL.revokeObjectURL(previewUrl);
          previewUrl = URL.createObjectURL(blob);
          frame.src = previewUrl;
          frame.hidden = false;
        } catch (error) { status.textContent = explain(error); }
      } }, tr("预览", "Preview")),
      h("button", { type: "button", class: "primary", id: "brief-download", disabled: !done.length, onclick: async () => {
        remember("brief", source.value);
        try { download(await fetchPdf(), `${source.value}-briefing.pdf`); } catch (error) { status.textContent = explain(error); }
      } }, tr("下载 PDF", "Download the PDF"))),
    status, frame));
  frame.hidden = true;
}
