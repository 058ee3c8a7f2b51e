// The admin console: /console/. Signs in with an admin key (kept in sessionStorage, gone when the
// tab closes) and calls the API with it; it holds no data of its own. Views: dashboard (charts
// from the reports), members (search by id, a member's page: balance, lots, tier, history; adjust
// points, assign a tier, a portal link), program editor (the API's validation messages in place,
// a purchase preview, publish), rewards and keys; exports, the audit log and imports (data.js).
import { Api, el, formatNumber, naturalId, pickLanguage, problemText } from "/assets/api.js";
import { auditPage, dataTexts, exportsPage, importsAvailable, importsPage, stopPolling } from "/console/data.js";

const TEXT = {
  en: {
    dashboard: "Dashboard", members: "Members", program: "Program", rewards: "Rewards", keys: "Keys",
    signInTitle: "Sign in with an admin key", apiKey: "Admin API key", signIn: "Sign in", badKey: "This key was refused.",
    liability: "Points liability", liabilityValue: "worth {amount} {currency}", issued: "Issued", redeemed: "Redeemed",
    expired: "Expired", clawed_back: "Clawed back", flows: "Points flows", membersByTier: "Members by tier",
    membersTotal: "{total} members, {active} active", redemptionRate: "Redemption rate", breakageRate: "Breakage rate",
    pareto: "Top 20% of purchasers bring", rfm: "RFM segments", asOf: "as of {time}",
    reportsUnavailable: "Reports are not available on this deployment yet.", memberId: "Member id",
    search: "Find", notFound: "No member {id}.", available: "Available", pending: "Pending", held: "Held", debt: "Debt",
    lots: "Points by expiry", tier: "Tier", progress: "Progress", nextTier: "Next: {name}, missing {missing}",
    history: "History", adjust: "Adjust points", points: "Points (negative deducts)", reason: "Reason", apply: "Apply",
    adjusted: "Done: {points} points, balance {available}.", assign: "Assign a tier", until: "Until (optional)",
    none: "(withdraw assignment)", assigned: "Tier set.", portalLink: "Portal link (1 hour)", make: "Make link",
    editor: "Program document (JSON)", publish: "Publish", published: "Published version {version}.",
    notJson: "Not valid JSON: {error}", preview: "Preview a purchase", amount: "Amount", previewButton: "Preview",
    earns: "{points} points", reload: "Reload", rewardId: "Reward id", rewardJson: "Reward (JSON)", save: "Save",
    saved: "Saved.", scope: "Scope", keyName: "Name", issue: "Issue key", issued_key: "New key (shown once): {key}",
    keyId: "Key id", revoke: "Revoke", revoked: "Revoked {id}.", type: "Type", when: "When", detail: "Detail",
    version: "Version {version}", stock: "Stock", pointsColumn: "Points", cost: "Cost", unlimited: "unlimited", signOut: "Sign out",
    searchPlaceholder: "Member id, email or phone", searchBy: "Search by", byAuto: "Any", byId: "Member id", byEmail: "Email",
    byPhone: "Phone", noMatch: "No member matches {query}.", matches: "{count} members match", open: "Open",
    status: "Status", active: "Active", frozen: "Frozen", withheld: "Withheld", freeze: "Freeze", unfreeze: "Unfreeze",
    freezeTitle: "Risk control", releaseWithheld: "Release the withheld points (unticked: forfeit them)",
    frozenNote: "Frozen: cannot spend; new points are withheld until release.", statusSet: "Status: {status}.",
    reasonNeeded: "Give a reason.",
    membership: "Paid membership {id} ({tier}) until {date}",
  },
  "zh-CN": {
    dashboard: "概览", members: "会员", program: "积分规则", rewards: "礼品", keys: "密钥",
    signInTitle: "使用管理员密钥登录", apiKey: "管理员 API 密钥", signIn: "登录", badKey: "密钥无效。",
    liability: "积分负债", liabilityValue: "价值 {amount} {currency}", issued: "发放", redeemed: "兑换",
    expired: "过期", clawed_back: "扣回", flows: "积分流动", membersByTier: "各等级会员",
    membersTotal: "会员 {total} 人，活跃 {active} 人", redemptionRate: "兑换率", breakageRate: "沉淀率",
    pareto: "前 20% 消费会员贡献", rfm: "RFM 分群", asOf: "截至 {time}",
    reportsUnavailable: "此部署尚未提供报表。", memberId: "会员 ID", search: "查找", notFound: "没有会员 {id}。",
    available: "可用", pending: "待生效", held: "冻结", debt: "欠分", lots: "按到期日的积分", tier: "等级",
    progress: "进度", nextTier: "下一级：{name}，还差 {missing}", history: "积分明细", adjust: "调整积分",
    points: "积分（负数为扣减）", reason: "原因", apply: "提交", adjusted: "完成：{points} 积分，可用余额 {available}。",
    assign: "指定等级", until: "截止日期（可选）", none: "（取消指定）", assigned: "等级已设置。",
    portalLink: "会员中心链接（1 小时）", make: "生成链接", editor: "规则文档（JSON）", publish: "发布",
    published: "已发布版本 {version}。", notJson: "不是有效的 JSON：{error}", preview: "预览一笔消费", amount: "金额",
    previewButton: "预览", earns: "{points} 积分", reload: "重新载入", rewardId: "礼品 ID", rewardJson: "礼品（JSON）",
    save: "保存", saved: "已保存。", scope: "权限", keyName: "名称", issue: "签发密钥", issued_key: "新密钥（仅显示一次）：{key}",
    keyId: "密钥 ID", revoke: "吊销", revoked: "已吊销 {id}。", type: "类型", when: "时间", detail: "说明",
    version: "版本 {version}", stock: "库存", pointsColumn: "积分", cost: "所需积分", unlimited: "不限", signOut: "退出",
    searchPlaceholder: "会员 ID、邮箱或手机号", searchBy: "查找方式", byAuto: "自动", byId: "会员 ID", byEmail: "邮箱",
    byPhone: "手机号", noMatch: "没有与 {query} 匹配的会员。", matches: "{count} 位会员匹配", open: "查看",
    status: "状态", active: "正常", frozen: "已冻结", withheld: "暂扣积分", freeze: "冻结", unfreeze: "解冻",
    freezeTitle: "风控", releaseWithheld: "发放暂扣的积分（不勾选则作废）",
    frozenNote: "已冻结：不能消费积分；新获得的积分暂扣，解冻时处理。", statusSet: "状态：{status}。",
    reasonNeeded: "请填写原因。",
    membership: "付费会员 {id}（{tier}）至 {date}",
  },
};

let lang = pickLanguage(new URLSearchParams(location.search).get("lang"));
let api = new Api(sessionStorage.getItem("loyalty.adminKey") || "");
const main = document.getElementById("main");
const VIEWS = ["dashboard", "members", "program", "rewards", "keys", "exports", "audit", "imports"];
let hasImports = null; // asked once per sign-in: the imports page shows only where the API has imports
const charts = [];

function t(key, values = {}) {
  const text = TEXT[lang][key] ?? TEXT.en[key] ?? dataTexts(lang)(key);
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}
const n = (value) => formatNumber(value, lang);
const percent = (rate) => `${(Number(rate) * 100).toFixed(1)}%`;

function field(label, input) {
  return el("div", {}, el("label", {}, label), input);
}

function message(testid) {
  return el("p", { class: "hidden", testid });
}

function say(node, text, ok) {
  node.className = ok ? "ok" : "error";
  node.textContent = text;
}

// ------------------------------------------------------------------------------------ sign in
function signIn() {
  const key = el("input", { type: "password", testid: "api-key", autocomplete: "off" });
  const failed = message("sign-in-error");
  const form = el("form", { class: "card sign-in" },
    el("h2", {}, t("signInTitle")), field(t("apiKey"), key), el("p", {}),
    el("button", { type: "submit", testid: "sign-in" }, t("signIn")), failed);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const candidate = new Api(key.value.trim());
    const answer = await candidate.get("/v1/program");
    if (!answer.ok) return say(failed, `${t("badKey")} ${problemText(answer.body)}`);
    sessionStorage.setItem("loyalty.adminKey", key.value.trim());
    api = candidate;
    hasImports = null;
    route();
  });
  main.replaceChildren(form);
}

// ---------------------------------------------------------------------------------- dashboard
function chart(node, option) {
  const instance = echarts.init(node);
  instance.setOption(option);
  charts.push(instance);
}

async function dashboard() {
  const [summary, customers] = await Promise.all([api.get("/v1/reports/summary"), api.get("/v1/reports/customers")]);
  if (summary.status === 404) {
    return [el("p", { class: "card muted", testid: "reports-unavailable" }, t("reportsUnavailable"))];
  }
  if (!summary.ok) return [el("p", { class: "card error" }, problemText(summary.body))];
  const report = summary.body;
  const flows = el("div", { class: "chart", testid: "chart-flows" });
  const tiers = el("div", { class: "chart", testid: "chart-tiers" });
  const flowKeys = ["issued", "redeemed", "expired", "clawed_back"];
  const cards = [
    el("section", { class: "card" }, el("div", { class: "muted" }, t("liability")),
      el("div", { class: "figure", testid: "liability-points" }, n(report.liability.points)),
      el("div", { class: "muted", testid: "liability-value" },
        t("liabilityValue", { amount: report.liability.value.amount, currency: report.liability.value.currency }))),
    el("section", { class: "card" }, el("div", { class: "muted" }, t("members")),
      el("div", { class: "figure", testid: "members-total" }, n(report.members.total)),
      el("div", { class: "muted" }, t("membersTotal", { total: n(report.members.total), active: n(report.members.active ?? 0) }))),
    el("section", { class: "card" }, el("div", { class: "muted" }, t("redemptionRate")),
      el("div", { class: "figure", testid: "redemption-rate" }, percent(report.redemption_rate ?? 0)),
      el("div", { class: "muted" }, `${t("breakageRate")} ${percent(report.breakage_rate ?? 0)}`)),
  ];
  if (customers.ok && customers.body.pareto) {
    cards.push(el("section", { class: "card" }, el("div", { class: "muted" }, t("pareto")),
      el("div", { class: "figure", testid: "pareto-share" }, percent(customers.body.pareto.top_20_percent_share ?? 0))));
  }
  const content = [
    el("p", { class: "muted" }, t("asOf", { time: report.as_of })),
    el("div", { class: "grid" }, cards),
    el("div", { class: "grid" },
      el("section", { class: "card" }, el("h3", {}, t("flows")), flows),
      el("section", { class: "card" }, el("h3", {}, t("membersByTier")), tiers)),
  ];
  const segments = customers.ok && customers.body.rfm ? customers.body.rfm.segments || [] : [];
  let rfm = null;
  if (segments.length) {
    rfm = el("div", { class: "chart", testid: "chart-rfm" });
    content.push(el("section", { class: "card" }, el("h3", {}, t("rfm")), rfm));
  }
  requestAnimationFrame(() => {
    chart(flows, {
      tooltip: {}, xAxis: { type: "category", data: flowKeys.map((key) => t(key)) }, yAxis: { type: "value" },
      series: [{ type: "bar", data: flowKeys.map((key) => report.points[key] ?? 0), itemStyle: { color: "#b4232c" } }],
    });
    chart(tiers, {
      tooltip: {}, series: [{ type: "pie", radius: ["40%", "70%"],
        data: Object.entries(report.members.by_tier || {}).map(([tier, count]) => ({ name: tier, value: count })) }],
    });
    if (rfm) {
      chart(rfm, {
        tooltip: {}, xAxis: { type: "category", data: segments.map((s) => s.segment) }, yAxis: { type: "value" },
        series: [{ type: "bar", data: segments.map((s) => s.members), itemStyle: { color: "#1d2330" } }],
      });
    }
  });
  return content;
}

// ------------------------------------------------------------------------------------ members
// Search: "any" takes an address with "@" as an email, else tries the id, then (if it looks like a
// phone number) the phone; one match opens the member's page, several are listed.
const PHONE_LIKE = /^\+?[0-9][0-9 ()\-.]{4,}$/;

async function members() {
  const input = el("input", { testid: "member-search", placeholder: t("searchPlaceholder") });
  const by = el("select", { testid: "member-search-by", "aria-label": t("searchBy") },
    ["auto", "id", "email", "phone"].map((kind) => el("option", { value: kind },
      t({ auto: "byAuto", id: "byId", email: "byEmail", phone: "byPhone" }[kind]))));
  const page = el("div", { testid: "member-page" });
  const form = el("form", { class: "card row search" }, el("div", { style: "flex:1" }, input), by,
    el("button", { type: "submit", testid: "member-find" }, t("search")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const query = input.value.trim();
    if (query) await findMembers(query, by.value, page);
  });
  const wanted = decodeURIComponent(location.hash.split("/")[1] || "");
  if (wanted) {
    input.value = wanted;
    memberPage(wanted, page);
  }
  return [form, page];
}

async function searchBy(kind, query) {
  const name = { id: "member_id", email: "email", phone: "phone" }[kind];
  return api.get(`/v1/members?${name}=${encodeURIComponent(query)}&limit=50`);
}

async function findMembers(query, kind, page) {
  const kinds = kind !== "auto" ? [kind] : query.includes("@") ? ["email"] : PHONE_LIKE.test(query) ? ["id", "phone"] : ["id"];
  let found = [];
  for (const each of kinds) {
    const answer = await searchBy(each, query);
    if (!answer.ok) {
      // An id the search refuses (not an id's characters) is simply nobody; anything else is shown.
      if (each === "id" && answer.status === 422 && kinds.length === 1) break;
      if (each !== "id" || kinds.length === 1) {
        page.replaceChildren(el("p", { class: "card error", testid: "member-error" }, problemText(answer.body)));
        return;
      }
      continue;
    }
    found = answer.body.items;
    if (found.length) break;
  }
  if (found.length === 0) {
    page.replaceChildren(el("p", { class: "card error", testid: "member-error" },
      kinds.length === 1 && kinds[0] === "id" ? t("notFound", { id: query }) : t("noMatch", { query })));
    return;
  }
  if (found.length === 1) return openMember(found[0].member_id, page);
  page.replaceChildren(el("section", { class: "card" }, el("h3", {}, t("matches", { count: found.length })),
    el("table", { testid: "member-matches" },
      el("tr", {}, el("th", {}, t("memberId")), el("th", {}, t("byEmail")), el("th", {}, t("byPhone")), el("th", {}, t("available")), el("th", {})),
      found.map((m) => el("tr", {}, el("td", {}, m.member_id), el("td", {}, m.email || ""), el("td", {}, m.phone || ""),
        el("td", {}, n(m.balance.available)),
        el("td", {}, el("button", { type: "button", class: "secondary small", onclick: () => openMember(m.member_id, page) }, t("open"))))))));
}

async function openMember(id, page) {
  history.replaceState(null, "", `#members/${encodeURIComponent(id)}`);
  await memberPage(id, page);
}

async function memberPage(id, page) {
  const path = `/v1/members/${encodeURIComponent(id)}`;
  const [member, entries, program] = await Promise.all([api.get(path), api.get(`${path}/transactions?limit=50`), api.get("/v1/program")]);
  if (!member.ok) {
    page.replaceChildren(el("p", { class: "card error", testid: "member-error" },
      member.status === 404 ? t("notFound", { id }) : problemText(member.body)));
    return;
  }
  const m = member.body;
  const tierName = (m.tier.names && m.tier.names[lang]) || m.tier.name;
  const next = m.tier_progress.next_tier;
  const missing = next ? Object.entries(next.missing).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k} ${v}`).join(", ") : "";
  page.replaceChildren(
    el("div", { class: "grid" },
      el("section", { class: "card" }, el("div", { class: "muted" }, `${m.member_id}${m.name ? ` · ${m.name}` : ""}`),
        el("div", { class: "muted" }, t("available")),
        el("div", { class: "figure", testid: "member-available" }, n(m.balance.available)),
        el("div", { class: "muted" }, `${t("pending")} ${n(m.balance.pending)} · ${t("held")} ${n(m.balance.held)} · ${t("debt")} ${n(m.debt)}`),
        el("div", { class: "row" }, el("span", { class: m.status === "frozen" ? "tag" : "tag ok-tag", testid: "member-status" }, t(m.status || "active")),
          el("span", { class: "muted" }, `${t("withheld")} `, el("b", { testid: "member-withheld" }, n(m.balance.withheld ?? 0))))),
      el("section", { class: "card" }, el("div", { class: "muted" }, t("tier")),
        el("div", { class: "figure", testid: "member-tier" }, tierName),
        next ? el("div", { class: "muted" }, t("nextTier", { name: next.name, missing })) : null,
        m.tier.membership ? el("div", { class: "muted", testid: "member-membership" },
          t("membership", { id: m.tier.membership.membership_id, tier: m.tier.membership.tier_id, date: m.tier.membership.until })) : null),
      el("section", { class: "card" }, el("div", { class: "muted" }, t("lots")),
        el("ul", { class: "list", testid: "member-lots" },
          m.expiring.map((lot) => el("li", { class: "spread" }, el("span", {}, lot.expires_on), el("b", {}, n(lot.points))))))),
    el("div", { class: "grid" }, adjustForm(id, page), tierForm(id, page, program.ok ? program.body.tiers : []), statusForm(id, page, m),
      portalLink(id)),
    el("section", { class: "card" }, el("h3", {}, t("history")),
      el("table", { testid: "member-history" },
        el("tr", {}, el("th", {}, t("when")), el("th", {}, t("type")), el("th", {}, t("pointsColumn")), el("th", {}, t("detail"))),
        (entries.ok ? entries.body.items : []).map((entry) => el("tr", {},
          el("td", {}, new Date(entry.created_at).toLocaleString(lang)), el("td", {}, entry.type),
          el("td", { class: entry.points >= 0 ? "plus" : "minus" }, n(entry.points)),
          el("td", { class: "muted" }, [entry.source, entry.order_id, entry.reward_id, entry.reason,
            (entry.rule_ids || []).join(" ")].filter(Boolean).join(" · ")))))),
  );
}

function adjustForm(id, page) {
  const points = el("input", { type: "number", step: "1", testid: "adjust-points" });
  const reason = el("input", { testid: "adjust-reason" });
  const result = message("adjust-result");
  const form = el("form", { class: "card" }, el("h3", {}, t("adjust")), field(t("points"), points),
    field(t("reason"), reason), el("p", {}), el("button", { type: "submit", testid: "adjust-submit" }, t("apply")), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { adjustment_id: naturalId("console"), points: Number(points.value), reason: reason.value };
    const answer = await api.post(`/v1/members/${encodeURIComponent(id)}/adjustments`, body);
    if (!answer.ok) return say(result, problemText(answer.body));
    await memberPage(id, page);
    const shown = page.querySelector('[data-testid="adjust-result"]');
    say(shown, t("adjusted", { points: n(body.points), available: n(answer.body.balance?.available ?? 0) }), true);
  });
  return form;
}

function tierForm(id, page, tiers) {
  const select = el("select", { testid: "assign-tier" }, el("option", { value: "" }, t("none")),
    tiers.map((tier) => el("option", { value: tier.id }, (tier.names && tier.names[lang]) || tier.name)));
  const until = el("input", { type: "date" });
  const reason = el("input", { testid: "assign-reason" });
  const result = message("assign-result");
  const form = el("form", { class: "card" }, el("h3", {}, t("assign")), field(t("tier"), select), field(t("until"), until),
    field(t("reason"), reason), el("p", {}), el("button", { type: "submit" }, t("apply")), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { tier_id: select.value || null, reason: reason.value || "console" };
    if (until.value) body.until = until.value;
    const answer = await api.put(`/v1/members/${encodeURIComponent(id)}/tier`, body);
    if (!answer.ok) return say(result, problemText(answer.body));
    await memberPage(id, page);
    say(page.querySelector('[data-testid="assign-result"]'), t("assigned"), true);
  });
  return form;
}

// Freeze or unfreeze (PUT /v1/members/{id}/status): a reason always; on unfreezing, whether the
// points withheld meanwhile are released or forfeited.
function statusForm(id, page, member) {
  const frozen = member.status === "frozen";
  const reason = el("input", { testid: "status-reason" });
  const release = el("input", { type: "checkbox", testid: "status-release", checked: true, style: "width:auto" });
  const result = message("status-result");
  const form = el("form", { class: "card", testid: "status-form" }, el("h3", {}, t("freezeTitle")),
    frozen ? el("p", { class: "muted" }, t("frozenNote")) : null, field(t("reason"), reason),
    frozen ? el("label", { class: "row" }, release, t("releaseWithheld")) : null, el("p", {}),
    el("button", { type: "submit", testid: "status-submit", class: frozen ? "secondary" : "" }, frozen ? t("unfreeze") : t("freeze")), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!reason.value.trim()) return say(result, t("reasonNeeded"));
    const body = { status: frozen ? "active" : "frozen", reason: reason.value.trim() };
    if (frozen) body.release_withheld = release.checked;
    const answer = await api.put(`/v1/members/${encodeURIComponent(id)}/status`, body);
    if (!answer.ok) return say(result, problemText(answer.body));
    await memberPage(id, page);
    say(page.querySelector('[data-testid="status-result"]'), t("statusSet", { status: t(body.status) }), true);
  });
  return form;
}

function portalLink(id) {
  const output = el("p", { class: "muted", testid: "portal-link" });
  const button = el("button", { type: "button", class: "secondary" }, t("make"));
  button.addEventListener("click", async () => {
    const answer = await api.post(`/v1/members/${encodeURIComponent(id)}/tokens`, { ttl_seconds: 3600 });
    if (!answer.ok) return say(output, problemText(answer.body));
    const link = `${location.origin}/portal/?token=${encodeURIComponent(answer.body.token)}`;
    output.replaceChildren(el("a", { href: link, target: "_blank", rel: "noopener noreferrer" }, link));
  });
  return el("section", { class: "card" }, el("h3", {}, t("portalLink")), button, output);
}

// ------------------------------------------------------------------------------------ program
function showErrors(list, body) {
  list.replaceChildren(...[body.detail && !(body.errors || []).length ? el("li", {}, body.detail) : null,
    ...(body.errors || []).map((error) => el("li", {},
      el("code", {}, (error.loc || []).filter((part) => part !== "body").join(".")), ` ${error.msg}`))].filter(Boolean));
}

async function program() {
  const current = await api.get("/v1/program");
  if (!current.ok) return [el("p", { class: "card error" }, problemText(current.body))];
  const editor = el("textarea", { class: "code", testid: "program-editor", spellcheck: "false" });
  editor.value = JSON.stringify(current.body, null, 2);
  const errors = el("ul", { class: "errors", testid: "program-errors" });
  const result = message("program-result");
  const publish = el("button", { type: "button", testid: "program-publish" }, t("publish"));
  const reload = el("button", { type: "button", class: "secondary" }, t("reload"));
  const version = el("span", { class: "tag", testid: "program-version" }, t("version", { version: current.body.version }));
  publish.addEventListener("click", async () => {
    errors.replaceChildren();
    result.className = "hidden";
    let document_;
    try {
      document_ = JSON.parse(editor.value);
    } catch (error) {
      errors.replaceChildren(el("li", {}, t("notJson", { error: error.message })));
      return;
    }
    const answer = await api.put("/v1/program", document_);
    if (!answer.ok) return showErrors(errors, answer.body);
    editor.value = JSON.stringify(answer.body, null, 2);
    version.textContent = t("version", { version: answer.body.version });
    say(result, t("published", { version: answer.body.version }), true);
  });
  reload.addEventListener("click", () => route());
  const amount = el("input", { value: "100.00", testid: "preview-amount" });
  const previewResult = el("div", { testid: "preview-result" });
  const previewButton = el("button", { type: "button", testid: "preview-submit" }, t("previewButton"));
  previewButton.addEventListener("click", async () => {
    const answer = await api.post("/v1/program/preview", {
      order_id: naturalId("preview"), member_id: "preview-member", amount: amount.value, currency: current.body.currency,
    });
    if (!answer.ok) return previewResult.replaceChildren(el("p", { class: "error" }, problemText(answer.body)));
    previewResult.replaceChildren(el("p", { class: "figure" }, t("earns", { points: n(answer.body.points_earned) })),
      el("ul", {}, (answer.body.explanation || []).map((line) => el("li", { class: "muted" }, line))));
  });
  return [el("div", { class: "two" },
    el("section", { class: "card" }, el("div", { class: "spread" }, el("h3", {}, t("editor")), version), editor,
      errors, result, el("div", { class: "row" }, publish, reload)),
    el("section", { class: "card" }, el("h3", {}, t("preview")),
      field(`${t("amount")} (${current.body.currency})`, amount), el("p", {}), previewButton, previewResult))];
}

// ------------------------------------------------------------------------------------ rewards
async function rewards() {
  const listed = await api.get("/v1/rewards?limit=100");
  const table = el("table", { testid: "rewards-table" },
    el("tr", {}, el("th", {}, t("rewardId")), el("th", {}, t("rewards")), el("th", {}, t("cost")), el("th", {}, t("stock"))),
    (listed.ok ? listed.body.items : []).map((reward) => el("tr", {}, el("td", {}, reward.reward_id),
      el("td", {}, (reward.names && reward.names[lang]) || reward.name), el("td", {}, n(reward.current_points_cost)),
      el("td", {}, reward.stock === null ? t("unlimited") : n(reward.stock)))));
  const id = el("input", { testid: "reward-id" });
  const body = el("textarea", { class: "code", style: "min-height:12rem", testid: "reward-json" });
  body.value = JSON.stringify({ name: "Mug", names: { "zh-CN": "马克杯" }, points_cost: 500, stock: 100, per_member_limit: 1 }, null, 2);
  const errors = el("ul", { class: "errors" });
  const result = message("reward-result");
  const form = el("form", { class: "card" }, field(t("rewardId"), id), field(t("rewardJson"), body), errors,
    el("button", { type: "submit" }, t("save")), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    let document_;
    try {
      document_ = JSON.parse(body.value);
    } catch (error) {
      return errors.replaceChildren(el("li", {}, t("notJson", { error: error.message })));
    }
    const answer = await api.put(`/v1/rewards/${encodeURIComponent(id.value.trim())}`, document_);
    if (!answer.ok) return showErrors(errors, answer.body);
    await route();
  });
  return [el("div", { class: "two" }, el("section", { class: "card" }, table), form)];
}

// --------------------------------------------------------------------------------------- keys
async function keys() {
  const scope = el("select", {}, el("option", { value: "server" }, "server"), el("option", { value: "admin" }, "admin"));
  const name = el("input", {});
  const issued = message("key-issued");
  const issue = el("form", { class: "card" }, el("h3", {}, t("issue")), field(t("scope"), scope), field(t("keyName"), name),
    el("p", {}), el("button", { type: "submit" }, t("issue")), issued);
  issue.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { scope: scope.value };
    if (name.value) body.name = name.value;
    const answer = await api.post("/v1/keys", body);
    if (!answer.ok) return say(issued, problemText(answer.body));
    issued.replaceChildren(el("span", {}, t("issued_key", { key: "" })), el("code", {}, answer.body.key),
      el("span", { class: "muted" }, ` (${answer.body.key_id})`));
    issued.className = "ok";
  });
  const keyId = el("input", { placeholder: "key_…" });
  const revoked = message("key-revoked");
  const revoke = el("form", { class: "card" }, el("h3", {}, t("revoke")), field(t("keyId"), keyId), el("p", {}),
    el("button", { type: "submit", class: "secondary" }, t("revoke")), revoked);
  revoke.addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await api.delete(`/v1/keys/${encodeURIComponent(keyId.value.trim())}`);
    if (!answer.ok) return say(revoked, problemText(answer.body));
    say(revoked, t("revoked", { id: keyId.value.trim() }), true);
  });
  return [el("div", { class: "grid" }, issue, revoke)];
}

// -------------------------------------------------------------------------------------- shell
const RENDER = {
  dashboard, members, program, rewards, keys,
  exports: () => exportsPage(api, lang),
  audit: () => auditPage(api, lang),
  imports: () => importsPage(api, lang),
};

let routing = 0; // the latest route(): a slower, older render (the dashboard's reports) never replaces a newer one

async function route() {
  const mine = ++routing;
  stopPolling();
  while (charts.length) charts.pop().dispose();
  document.documentElement.lang = lang;
  document.getElementById("language").textContent = lang === "en" ? "中文" : "EN";
  const signedIn = Boolean(sessionStorage.getItem("loyalty.adminKey"));
  document.getElementById("sign-out").classList.toggle("hidden", !signedIn);
  document.getElementById("sign-out").title = t("signOut");
  if (signedIn && hasImports === null) hasImports = await importsAvailable(api);
  if (mine !== routing) return;
  const shown = VIEWS.filter((name) => name !== "imports" || hasImports);
  const view = (location.hash.slice(1).split(/[/?]/)[0] || "dashboard");
  const current = RENDER[view] && shown.includes(view) ? view : "dashboard";
  document.getElementById("nav").replaceChildren(...(signedIn ? shown : []).map((name) =>
    el("a", { href: `#${name}`, class: name === current ? "active" : "", testid: `nav-${name}` }, t(name))));
  if (!signedIn) return signIn();
  main.replaceChildren(el("p", { class: "muted" }, "…"));
  const content = await RENDER[current]();
  if (mine === routing) main.replaceChildren(...content);
}

document.getElementById("language").addEventListener("click", () => {
  lang = lang === "en" ? "zh-CN" : "en";
  localStorage.setItem("loyalty.lang", lang);
  route();
});
document.getElementById("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem("loyalty.adminKey");
  hasImports = null;
  route();
});
window.addEventListener("hashchange", () => route());
window.addEventListener("resize", () => charts.forEach((instance) => instance.resize()));
route();
