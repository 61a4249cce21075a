// Shared helpers of the workbench: DOM building, the two languages, formatting, page state.

export const state = {
  lang: sessionStorage.getItem("panhuo.lang") || "zh",
  token: sessionStorage.getItem("panhuo.token") || "",
  view: sessionStorage.getItem("panhuo.view") || "data",
  me: null,
  labels: null,
  datasets: [],
  jobs: [],
  scenarios: [],
  presets: [],
  accepts: { analysisColumns: false },
};

/** Remember a small piece of page state for this tab (survives a reload, not the tab). */
export function remember(key, value) {
  if (value === null || value === undefined || value === "") sessionStorage.removeItem(`panhuo.${key}`);
  else sessionStorage.setItem(`panhuo.${key}`, typeof value === "string" ? value : JSON.stringify(value));
}

export function recall(key, fallback = null) {
  const raw = sessionStorage.getItem(`panhuo.${key}`);
  if (raw === null) return fallback;
  try { return JSON.parse(raw); } catch { return raw; }
}

/** The text in the page's language: Chinese first, English as the switch. */
export function tr(zh, en) {
  return state.lang === "en" ? en : zh;
}

/**
 * Build an element: h("button", {class: "x", onclick: f}, "text", child).
 * Text is always set as text (never parsed as HTML), so data from uploads cannot inject markup.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value") el.value = value;
    else if (key === "checked" || key === "selected" || key === "disabled") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let uid = 0;
/** A labelled input: returns the wrapper; the control gets an id its <label> points to. */
export function field(labelText, control, { hint = null, path = null, wide = false } = {}) {
  const id = control.id || `f${++uid}`;
  control.id = id;
  if (path) control.dataset.path = path;
  const wrap = h("div", { class: wide ? "field wide" : "field", dataset: path ? { field: path } : {} },
    h("label", { for: id }, labelText), control,
    hint ? h("small", { class: "hint" }, hint) : null,
    h("div", { class: "field-error", role: "alert", id: `${id}-err` }));
  control.setAttribute("aria-describedby", `${id}-err`);
  return wrap;
}

export function select(options, value, attrs = {}) {
  return h("select", attrs, options.map(([v, label]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, label)));
}

export function fmtNumber(value, digits = 1) {
  if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) return "—";
  return Number(value).toLocaleString(state.lang === "en" ? "en-GB" : "zh-CN", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtPercent(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  return `${(Number(value) * 100).toFixed(digits)}%`;
}

export function fmtDate(value) {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(state.lang === "en" ? "en-GB" : "zh-CN", { dateStyle: "short", timeStyle: "short" });
}

export function may(role) {
  const order = ["viewer", "planner", "admin"];
  return state.me && order.indexOf(state.me.role) >= order.indexOf(role);
}

let toastTimer = null;
/** A short message at the foot of the page (read by screen readers). */
export function toast(text, kind = "info") {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.className = `show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = ""; }, kind === "error" ? 9000 : 4000);
}

/** A status code's label from labels.json ({code: [zh, colour]}), English from the code itself. */
export function label(group, code) {
  const entry = state.labels?.[group]?.[code];
  if (state.lang === "en") return EN[group]?.[code] || String(code ?? "—").replaceAll("_", " ");
  return entry ? (Array.isArray(entry) ? entry[0] : entry) : String(code ?? "—");
}

export function colour(group, code, fallback = "#bbbbbb") {
  const entry = state.labels?.[group]?.[code];
  return Array.isArray(entry) ? entry[1] : fallback;
}

const EN = {
  idle_status: {
    idle: "idle (≥ 1 year, fee)", idle_recoverable: "idle ≥ 2 years (recoverable)", idle_gov_caused: "idle, government cause",
    idle_stalled: "stalled ≥ 1 year", unknown: "undecidable (data missing)", not_idle: "not idle", not_applicable: "not supplied",
  },
  actions: { keep: "keep", upgrade: "upgrade", release: "recover and re-supply", facility: "public facility", green: "green space" },
};

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: filename, class: "hidden" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

/** A table whose columns sort on click (Enter/Space on the header button too). */
export function sortableTable(columns, rows, { onRow = null, rowKey = null, caption = null, id = null } = {}) {
  let sortBy = null;
  let asc = true;
  const tbody = h("tbody");
  const headers = columns.map((col, i) => {
    const btn = h("button", { type: "button", class: "sort", onclick: () => { asc = sortBy === i ? !asc : true; sortBy = i; draw(); } }, col.label);
    return h("th", { scope: "col", "aria-sort": "none" }, btn);
  });
  const table = h("table", { class: "grid", id }, caption ? h("caption", {}, caption) : null, h("thead", {}, h("tr", {}, headers)), tbody);
  function draw() {
    const sorted = [...rows];
    if (sortBy !== null) {
      const key = columns[sortBy].sort || columns[sortBy].value;
      sorted.sort((a, b) => {
        const x = key(a), y = key(b);
        if (x === y) return 0;
        if (x === null || x === undefined || x === "") return 1;
        if (y === null || y === undefined || y === "") return -1;
        const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
        return asc ? c : -c;
      });
      headers.forEach((th, i) => th.setAttribute("aria-sort", i === sortBy ? (asc ? "ascending" : "descending") : "none"));
    }
    tbody.replaceChildren(...sorted.map((row) => {
      const tr = h("tr", { tabindex: onRow ? "0" : null, dataset: rowKey ? { key: rowKey(row) } : {} },
        columns.map((col) => h("td", { class: col.class || null }, col.render ? col.render(row) : col.value(row))));
      if (onRow) {
        tr.addEventListener("click", () => onRow(row, tr));
        tr.addEventListener("keydown", (e) => { if (e.key === "Enter") onRow(row, tr); });
      }
      return tr;
    }));
  }
  table.redraw = (newRows) => { rows = newRows; draw(); };
  draw();
  return table;
}
