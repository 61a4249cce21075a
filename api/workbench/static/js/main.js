// The workbench page: sign-in, header, the five work areas, and the jobs the page follows.
import { api, explain, isFinished, watchJob } from "./api.js";
import { field, h, recall, remember, state, toast, tr } from "./util.js";
import * as data from "./data.js";
import * as analysis from "./analysis.js";
import * as scenarios from "./scenarios.js";
import * as compare from "./compare.js";
import * as briefing from "./briefing.js";

const VIEWS = {
  data: { module: data, zh: "数据", en: "Data" },
  analysis: { module: analysis, zh: "分析", en: "Analysis" },
  scenarios: { module: scenarios, zh: "情景", en: "Scenarios" },
  compare: { module: compare, zh: "比较", en: "Compare" },
  briefing: { module: briefing, zh: "简报", en: "Briefing" },
};

const ROLE = { viewer: ["只读", "viewer"], planner: ["规划人员", "planner"], admin: ["管理员", "admin"] };

/** Reload the workspace's lists; follow every job still running (also after a page reload). */
export async function refresh() {
  const [datasets, jobs, scen] = await Promise.all([api("/datasets"), api("/jobs"), api("/scenarios")]);
  state.datasets = datasets.items;
  state.jobs = jobs.items;
  state.scenarios = scen.items;
  for (const job of state.jobs) if (!isFinished(job)) follow(job.id);
}

let lost = false; // a poll failed: the lists may be stale (a save or a run went by meanwhile)

/** Follow a job: its row in state.jobs is replaced on every poll and the open view is told. */
export function follow(jobId) {
  watchJob(jobId, (job, { offline }) => {
    const banner = document.getElementById("offline");
    if (banner) banner.hidden = !offline;
    if (offline) lost = true;
    if (!job) return;
    if (lost) { // back online: reload the lists and redraw, then follow on as before
      lost = false;
      refresh().then(draw).catch(() => { lost = true; });
      return;
    }
    const i = state.jobs.findIndex((j) => j.id === job.id);
    if (i >= 0) state.jobs[i] = job; else state.jobs.unshift(job);
    const view = VIEWS[state.view]?.module;
    if (view?.onJob) view.onJob(job);
  });
}

function header() {
  const top = document.getElementById("top");
  const langBtn = h("button", { type: "button", class: "ghost", id: "lang", lang: state.lang === "zh" ? "en" : "zh",
    onclick: () => { state.lang = state.lang === "zh" ? "en" : "zh"; remember("lang", state.lang); document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en"; draw(); } },
    state.lang === "zh" ? "English" : "中文");
  const who = state.me
    ? h("span", { class: "who", id: "who" }, `${state.me.workspace} · ${state.me.name} · ${tr(...ROLE[state.me.role] || [state.me.role, state.me.role])}`)
    : null;
  const out = state.me ? h("button", { type: "button", class: "ghost", id: "signout", onclick: signOut }, tr("退出", "Sign out")) : null;
  top.replaceChildren(
    h("div", { class: "brand" }, h("strong", {}, "盘活"), h("span", {}, tr(" 规划工作台", " planner's workbench"))),
    h("div", { class: "right" }, who, langBtn, out),
    h("div", { id: "offline", class: "offline", role: "alert", hidden: true }, tr("连接中断：正在重试…（作业在服务器上继续运行）", "Connection lost: retrying… (jobs keep running on the server)")));
}

function nav() {
  const el = document.getElementById("nav");
  if (!state.me) { el.replaceChildren(); return; }
  el.replaceChildren(h("ul", {}, Object.entries(VIEWS).map(([key, v]) => h("li", {},
    h("button", { type: "button", id: `nav-${key}`, "aria-current": state.view === key ? "page" : null,
      onclick: () => go(key) }, state.lang === "en" ? v.en : v.zh)))));
}

export function go(view) {
  state.view = view;
  remember("view", view);
  draw();
  document.getElementById(`nav-${view}`)?.focus(); // a keyboard user stays where they were
}

export function draw() {
  header();
  nav();
  const main = document.getElementById("main");
  if (!state.me) { signIn(main); return; }
  const view = VIEWS[state.view] || VIEWS.data;
  main.replaceChildren();
  view.module.render(main);
}

function signIn(main) {
  const input = h("input", { type: "password", autocomplete: "off", required: true, spellcheck: "false", name: "token" });
  const form = h("form", { class: "card signin", id: "signin", onsubmit: async (e) => {
    e.preventDefault();
    const err = form.querySelector(".field-error");
    err.textContent = "";
    state.token = input.value.trim();
    try {
      await start();
    } catch (error) {
      state.token = "";
      err.textContent = explain(error) || tr("令牌无效", "invalid token");
    }
  } },
  h("h1", {}, tr("登录工作台", "Sign in to the workbench")),
  h("p", {}, tr("请输入管理员用 panhuo token create 为您生成的令牌。令牌只保存在本标签页中，关闭即清除。",
    "Enter the token an administrator made for you with panhuo token create. It is kept in this tab only.")),
  field(tr("令牌", "Token"), input),
  h("button", { type: "submit", class: "primary" }, tr("登录", "Sign in")));
  main.replaceChildren(form);
  input.focus();
}

function signOut() {
  state.me = null;
  state.token = "";
  sessionStorage.removeItem("panhuo.token");
  draw();
}

async function start() {
  state.me = await api("/me");
  remember("token", state.token);
  const [labels, presets] = await Promise.all([
    fetch("/workbench/labels.json").then((r) => r.json()),
    api("/presets"),
  ]);
  state.labels = labels;
  state.presets = presets.items;
  // what this version of the service accepts (a newer one takes a column mapping with an analysis)
  try {
    const doc = await api("/openapi.json");
    state.accepts = { analysisColumns: Boolean(doc.components?.schemas?.AnalysisIn?.properties?.columns) };
  } catch { state.accepts = { analysisColumns: false }; }
  await refresh();
  draw();
}

async function boot() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  if (state.token) {
    try {
      await start();
      return;
    } catch (error) {
      if (error.status === 401) { state.token = ""; sessionStorage.removeItem("panhuo.token"); }
      else toast(explain(error), "error");
    }
  }
  state.me = null;
  draw();
}

window.addEventListener("offline", () => { const b = document.getElementById("offline"); if (b) b.hidden = false; });
window.addEventListener("online", () => { const b = document.getElementById("offline"); if (b) b.hidden = true; });
window.addEventListener("error", (e) => toast(`${tr("页面出错", "page error")}: ${e.message}`, "error"));
boot();
export { recall };
