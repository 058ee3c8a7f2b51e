// The console's data pages: exports (start one, its progress and download link, the list), the
// audit log (member, actor and time filters, a page at a time) and imports (a CSV file, a dry run
// first, then the import, its progress and errors by line), shown only when the API has imports
// (GET /v1/imports answers something other than 404).
import { el, formatNumber, naturalId, problemText } from "/assets/api.js";

const TEXT = {
  en: {
    exports: "Exports", audit: "Audit log", imports: "Imports",
    newExport: "New export", kind: "What", kindMembers: "Members (balances, tier, profile)", kindLedger: "Ledger entries",
    format: "Format", from: "From", to: "To", start: "Start export", status: "Status", progress: "Progress",
    rows: "Rows", created: "Started", download: "Download", exportId: "Export", queued: "Queued", running: "Running",
    done: "Done", failed: "Failed", chunks: "{done} of {total} parts", linkExpires: "link works until {time}",
    noExports: "No exports yet.", member: "Member id", actor: "Actor (key id)", filter: "Show", more: "More",
    at: "When", action: "Action", detail: "Detail", noEntries: "No entries.", file: "CSV file",
    columns: "Columns: member_id, points, expires_on?, earned_on?, name?, email?, phone?, birthday? (a header row).",
    dryRun: "Dry run", runImport: "Import", dryRunFirst: "Run a dry run first: nothing is written, every row is checked.",
    dryRunDone: "Dry run: {ok} rows would import, {failed} would fail.", total: "Total", imported: "Imported",
    failedRows: "Failed", line: "Line", reason: "Reason", noFile: "Choose a CSV file.", importId: "Import",
    noImports: "No imports yet.", dryRunLabel: "dry run",
  },
  "zh-CN": {
    exports: "导出", audit: "审计日志", imports: "导入",
    newExport: "新建导出", kind: "内容", kindMembers: "会员（余额、等级、资料）", kindLedger: "积分流水",
    format: "格式", from: "开始日期", to: "结束日期", start: "开始导出", status: "状态", progress: "进度",
    rows: "行数", created: "开始时间", download: "下载", exportId: "导出", queued: "排队中", running: "进行中",
    done: "已完成", failed: "失败", chunks: "{done}/{total} 部分", linkExpires: "链接有效至 {time}",
    noExports: "还没有导出。", member: "会员 ID", actor: "操作者（密钥 ID）", filter: "查询", more: "更多",
    at: "时间", action: "操作", detail: "说明", noEntries: "没有记录。", file: "CSV 文件",
    columns: "列：member_id, points, expires_on?, earned_on?, name?, email?, phone?, birthday?（需要表头）。",
    dryRun: "试运行", runImport: "导入", dryRunFirst: "请先试运行：不写入任何数据，逐行检查。",
    dryRunDone: "试运行：{ok} 行可导入，{failed} 行会失败。", total: "总数", imported: "已导入",
    failedRows: "失败", line: "行", reason: "原因", noFile: "请选择 CSV 文件。", importId: "导入",
    noImports: "还没有导入。", dryRunLabel: "试运行",
  },
};

const POLL_MS = 1000;
const timers = new Set();

// Pages poll while shown; the shell stops them when it leaves the page.
export function stopPolling() {
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
}

function poll(step) {
  const timer = setTimeout(async () => {
    timers.delete(timer);
    if (await step()) poll(step);
  }, POLL_MS);
  timers.add(timer);
}

function texts(lang) {
  const t = (key, values = {}) =>
    (TEXT[lang][key] ?? TEXT.en[key] ?? String(key)).replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
  const n = (value) => formatNumber(value ?? 0, lang);
  const when = (value) => (value ? new Date(value).toLocaleString(lang) : "");
  return { t, n, when };
}

function field(label, input) {
  return el("div", {}, el("label", {}, label), input);
}

function say(node, text, ok) {
  node.className = ok ? "ok" : "error";
  node.textContent = text;
}

const FINISHED = ["done", "failed", "reverted"];

// ------------------------------------------------------------------------------------ exports
export async function exportsPage(api, lang) {
  const { t, n, when } = texts(lang);
  const kind = el("select", { testid: "export-kind" },
    el("option", { value: "members" }, t("kindMembers")), el("option", { value: "ledger" }, t("kindLedger")));
  const format = el("select", { testid: "export-format" }, el("option", { value: "csv" }, "CSV"), el("option", { value: "jsonl" }, "JSON Lines"));
  const from = el("input", { type: "date", testid: "export-from" });
  const to = el("input", { type: "date", testid: "export-to" });
  const window_ = el("div", { class: "filters hidden" }, field(t("from"), from), field(t("to"), to));
  kind.addEventListener("change", () => window_.classList.toggle("hidden", kind.value !== "ledger"));
  const result = el("p", { class: "hidden", testid: "export-result" });
  const current = el("div", { testid: "export-current" });
  const list = el("div", { class: "scroll", testid: "exports-list" });

  function progressOf(job) {
    const status = el("span", { class: job.status === "failed" ? "tag" : "tag ok-tag", testid: "export-status" }, t(job.status));
    const bar = el("progress", { max: job.chunks || 1, value: job.chunks_done || 0, testid: "export-progress" });
    const link = job.download_url
      ? el("a", { href: job.download_url, testid: "export-download", rel: "noopener noreferrer" }, t("download"))
      : null;
    return el("div", {}, el("div", { class: "spread" }, el("b", {}, job.export_id), status), bar,
      el("div", { class: "muted" }, `${t("chunks", { done: job.chunks_done, total: job.chunks })} · ${t("rows")} ${n(job.rows)}`),
      job.error ? el("p", { class: "error" }, job.error) : null,
      link ? el("p", {}, link, el("span", { class: "muted" }, ` (${t("linkExpires", { time: when(job.expires_at) })})`)) : null);
  }

  async function refreshList() {
    const answer = await api.get("/v1/exports?limit=20");
    if (!answer.ok) return list.replaceChildren(el("p", { class: "error" }, problemText(answer.body)));
    const items = answer.body.items;
    if (!items.length) return list.replaceChildren(el("p", { class: "muted" }, t("noExports")));
    list.replaceChildren(el("table", { testid: "exports-table" },
      el("tr", {}, el("th", {}, t("exportId")), el("th", {}, t("kind")), el("th", {}, t("status")), el("th", {}, t("rows")),
        el("th", {}, t("created")), el("th", {})),
      items.map((job) => el("tr", {}, el("td", {}, job.export_id), el("td", {}, `${job.kind} · ${job.format}`),
        el("td", {}, t(job.status)), el("td", {}, n(job.rows)), el("td", {}, when(job.created_at)),
        el("td", {}, job.download_url ? el("a", { href: job.download_url, rel: "noopener noreferrer" }, t("download")) : "")))));
  }

  function follow(exportId) {
    poll(async () => {
      const answer = await api.get(`/v1/exports/${encodeURIComponent(exportId)}`);
      if (!answer.ok) {
        say(result, problemText(answer.body));
        return false;
      }
      current.replaceChildren(progressOf(answer.body));
      if (FINISHED.includes(answer.body.status)) {
        await refreshList();
        return false;
      }
      return true;
    });
  }

  const form = el("form", { class: "card" }, el("h3", {}, t("newExport")), field(t("kind"), kind), field(t("format"), format),
    window_, el("p", {}), el("button", { type: "submit", testid: "export-start" }, t("start")), result, current);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    result.className = "hidden";
    const body = { kind: kind.value, format: format.value };
    if (kind.value === "ledger" && from.value) body.from = from.value;
    if (kind.value === "ledger" && to.value) body.to = to.value;
    const exportId = naturalId("export");
    const answer = await api.put(`/v1/exports/${exportId}`, body);
    if (!answer.ok) return say(result, problemText(answer.body));
    current.replaceChildren(progressOf({ export_id: exportId, status: answer.body.status, chunks: 1, chunks_done: 0, rows: 0 }));
    follow(exportId);
    refreshList();
  });
  await refreshList();
  return [el("div", { class: "two" }, el("section", { class: "card" }, el("h3", {}, t("exports")), list), form)];
}

// -------------------------------------------------------------------------------------- audit
function detailText(detail) {
  return Object.entries(detail || {}).map(([name, value]) =>
    `${name}: ${typeof value === "object" ? JSON.stringify(value) : value}`).join(" · ");
}

export async function auditPage(api, lang) {
  const { t, when } = texts(lang);
  const member = el("input", { testid: "audit-member" });
  const actor = el("input", { testid: "audit-actor" });
  const from = el("input", { type: "datetime-local", testid: "audit-from" });
  const to = el("input", { type: "datetime-local", testid: "audit-to" });
  const error = el("p", { class: "hidden", testid: "audit-error" });
  const body = el("tbody", {});
  const table = el("table", { testid: "audit-table" },
    el("thead", {}, el("tr", {}, el("th", {}, t("at")), el("th", {}, t("action")), el("th", {}, t("member")),
      el("th", {}, t("actor")), el("th", {}, t("detail")))), body);
  const more = el("button", { type: "button", class: "secondary hidden", testid: "audit-more" }, t("more"));
  let cursor = null;

  function query() {
    const params = new URLSearchParams({ limit: "50" });
    if (member.value.trim()) params.set("member_id", member.value.trim());
    if (actor.value.trim()) params.set("actor", actor.value.trim());
    // datetime-local is the browser's local time: sent as an instant
    if (from.value) params.set("from", new Date(from.value).toISOString());
    if (to.value) params.set("to", new Date(to.value).toISOString());
    if (cursor) params.set("cursor", cursor);
    return params.toString();
  }

  async function load(append) {
    if (!append) cursor = null;
    const answer = await api.get(`/v1/audit?${query()}`);
    if (!answer.ok) {
      say(error, problemText(answer.body));
      return;
    }
    error.className = "hidden";
    const rows = answer.body.items.map((entry) => el("tr", { testid: "audit-row" },
      el("td", {}, when(entry.at)), el("td", {}, el("code", {}, entry.action)), el("td", {}, entry.member_id || ""),
      el("td", {}, entry.actor), el("td", { class: "detail" }, detailText(entry.detail))));
    if (append) body.append(...rows);
    else body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "5", class: "muted" }, t("noEntries")))]));
    cursor = answer.body.next_cursor;
    more.classList.toggle("hidden", !cursor);
  }

  const filters = el("form", { class: "card filters" }, field(t("member"), member), field(t("actor"), actor),
    field(t("from"), from), field(t("to"), to), el("button", { type: "submit", testid: "audit-search" }, t("filter")));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    load(false);
  });
  more.addEventListener("click", () => load(true));
  const wanted = new URLSearchParams(location.hash.split("?")[1] || "").get("member_id");
  if (wanted) member.value = wanted;
  await load(false);
  return [filters, error, el("section", { class: "card scroll" }, table, more)];
}

// ------------------------------------------------------------------------------------ imports
// PUT /v1/imports/{id} (text/csv): 202 {import_id, status}, then GET /v1/imports/{id} -> {import_id,
// status, rows: {total, imported, failed}, errors: [{line, reason}]}; with ?dry_run=true it answers
// 200 {import_id, dry_run, rows, errors} at once and records nothing (there is no job to follow).
export async function importsAvailable(api) {
  const answer = await api.get("/v1/imports?limit=1");
  return answer.status !== 404;
}

export async function importsPage(api, lang) {
  const { t, n, when } = texts(lang);
  const file = el("input", { type: "file", accept: ".csv,text/csv", testid: "import-file" });
  const dryRun = el("button", { type: "button", testid: "import-dry-run" }, t("dryRun"));
  const run = el("button", { type: "button", class: "secondary", testid: "import-run", disabled: true }, t("runImport"));
  const result = el("p", { class: "hidden", testid: "import-result" });
  const progress = el("div", { testid: "import-current" });
  const list = el("div", { class: "scroll", testid: "imports-list" });
  let csv = null;
  let dryRunClean = false;

  function view(job) {
    const rows = job.rows || { total: 0, imported: 0, failed: 0 };
    const finished = rows.imported + rows.failed;
    const errors = job.errors || [];
    return el("div", {},
      el("div", { class: "spread" }, el("b", {}, job.import_id), el("span", { class: "tag ok-tag", testid: "import-status" }, t(job.status) || job.status)),
      el("progress", { max: rows.total || 1, value: FINISHED.includes(job.status) ? rows.total || 1 : finished, testid: "import-progress" }),
      el("div", { class: "muted", testid: "import-rows" },
        `${t("total")} ${n(rows.total)} · ${t("imported")} ${n(rows.imported)} · ${t("failedRows")} ${n(rows.failed)}`),
      errors.length ? el("table", { testid: "import-errors" }, el("tr", {}, el("th", {}, t("line")), el("th", {}, t("reason"))),
        errors.map((error) => el("tr", {}, el("td", {}, String(error.line)), el("td", {}, error.reason)))) : null);
  }

  async function follow(importId, onDone) {
    poll(async () => {
      const answer = await api.get(`/v1/imports/${encodeURIComponent(importId)}`);
      if (!answer.ok) {
        say(result, problemText(answer.body));
        return false;
      }
      progress.replaceChildren(view(answer.body));
      if (FINISHED.includes(answer.body.status)) {
        onDone(answer.body);
        return false;
      }
      return true;
    });
  }

  async function send(dry) {
    result.className = "hidden";
    if (!csv) return say(result, t("noFile"));
    const importId = naturalId(dry ? "dryrun" : "import");
    const answer = await api.call("PUT", `/v1/imports/${importId}${dry ? "?dry_run=true" : ""}`, csv, "text/csv");
    if (!answer.ok) return say(result, problemText(answer.body));
    const done = (job) => {
      const rows = job.rows || { total: 0, imported: 0, failed: 0 };
      if (dry) {
        dryRunClean = true;
        run.disabled = false;
        say(result, t("dryRunDone", { ok: n(rows.total - rows.failed), failed: n(rows.failed) }), rows.failed === 0);
      } else {
        refreshList();
      }
    };
    if (dry && answer.body.dry_run) {
      // a dry run answers at once and records nothing: there is no job to follow
      progress.replaceChildren(view({ ...answer.body, status: "done" }));
      return done(answer.body);
    }
    progress.replaceChildren(view({ import_id: importId, ...answer.body }));
    if (FINISHED.includes(answer.body.status) && answer.body.rows) done(answer.body);
    else follow(importId, done);
  }

  async function refreshList() {
    const answer = await api.get("/v1/imports?limit=20");
    if (!answer.ok) return list.replaceChildren(el("p", { class: "error" }, problemText(answer.body)));
    const items = answer.body.items || [];
    if (!items.length) return list.replaceChildren(el("p", { class: "muted" }, t("noImports")));
    list.replaceChildren(el("table", { testid: "imports-table" },
      el("tr", {}, el("th", {}, t("importId")), el("th", {}, t("status")), el("th", {}, t("total")), el("th", {}, t("imported")),
        el("th", {}, t("failedRows")), el("th", {}, t("created"))),
      items.map((job) => el("tr", {}, el("td", {}, job.import_id), el("td", {}, t(job.status)),
        el("td", {}, n(job.rows?.total)), el("td", {}, n(job.rows?.imported)), el("td", {}, n(job.rows?.failed)),
        el("td", {}, when(job.created_at))))));
  }

  file.addEventListener("change", async () => {
    csv = file.files.length ? await file.files[0].text() : null;
    dryRunClean = false;
    run.disabled = true;
    progress.replaceChildren();
    result.className = "hidden";
  });
  dryRun.addEventListener("click", () => send(true));
  run.addEventListener("click", () => dryRunClean && send(false));
  await refreshList();
  return [el("div", { class: "two" },
    el("section", { class: "card" }, el("h3", {}, t("imports")), list),
    el("section", { class: "card" }, field(t("file"), file), el("p", { class: "muted" }, t("columns")),
      el("p", { class: "muted" }, t("dryRunFirst")), el("div", { class: "row" }, dryRun, run), result, progress))];
}

export function dataTexts(lang) {
  return texts(lang).t;
}
