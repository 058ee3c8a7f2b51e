// The member portal: /portal/?token=<member token>. Everything it shows comes from the /v1/me
// routes with that token (the member's own data, nothing else). The token is moved from the URL
// into sessionStorage at once, so it does not stay in the address bar or the history.
import { Api, el, formatNumber, naturalId, pickLanguage, problemText } from "/assets/api.js";

const TEXT = {
  en: {
    title: "Member", home: "Points", tier: "Tier", history: "History", rewards: "Rewards",
    coupons: "Coupons", rules: "Rules", available: "Available points", pending: "Pending",
    held: "Held at checkout", expiring: "Expiring", expiresOn: "expire on", noneExpiring: "No points expire soon.",
    benefits: "Benefits", multiplier: "×{n} points on purchases", birthday: "{n} points on your birthday",
    freeShipping: "Free shipping", priority: "Priority service", discount: "{n}% off",
    nextTier: "To reach {name}", missingSpend: "spend {n} more", missingPurchases: "{n} more purchases",
    missingPoints: "earn {n} more points", topTier: "You are in the top tier.", keep: "To keep {name} until {date}",
    kept: "You keep {name} until {date}.", review: "Next review: {date}", window: "Your figures {from} – {to}",
    spend: "Spend", purchases: "Purchases", points: "Points", redeem: "Redeem", cost: "{n} points",
    stock: "{n} left", unlimited: "", limitLeft: "you may redeem {n} more", redeemed: "Redeemed: {n} points spent.",
    not_started: "not available yet", ended: "no longer available", tier_reason: "for a higher tier",
    out_of_stock: "out of stock", limit_reached: "limit reached", points_reason: "not enough points",
    noCoupons: "No coupons yet.", couponUsed: "used", couponIssued: "valid until {date}", noRewards: "No rewards yet.",
    more: "More", noHistory: "No history yet.", invalid: "This link has expired or is not valid. Please open the portal again from the shop.",
    earn: "Earned", redeem_entry: "Redeemed", expire: "Expired", clawback: "Refund", adjust: "Adjustment",
    import: "Imported", hold: "Held at checkout", release: "Released", sunset: "Program ended",
    redeem_refund: "Points back for a refund",
    fromOrder: "order {id}", fromActivity: "{type}", fromReward: "reward {id}", rulesUsed: "rules: {ids}",
    validUntil: "expire on {date}", pendingUntil: "usable from {date}", signup: "welcome bonus",
    birthday_src: "birthday bonus", referral: "referral bonus", reason: "{reason}", confirm: "Spend {n} points on {name}?",
    draws: "Your lucky draws", noPrize: "No prize this time", membership: "Paid membership until {date}",
  },
  "zh-CN": {
    title: "会员中心", home: "积分", tier: "等级", history: "明细", rewards: "兑换", coupons: "优惠券",
    rules: "规则", available: "可用积分", pending: "待生效", held: "结算中冻结", expiring: "即将过期",
    expiresOn: "到期日", noneExpiring: "近期没有积分过期。", benefits: "会员权益",
    multiplier: "消费积分 ×{n}", birthday: "生日礼 {n} 积分", freeShipping: "免运费", priority: "优先服务",
    discount: "{n}% 折扣", nextTier: "升级到 {name}", missingSpend: "再消费 {n}", missingPurchases: "再下 {n} 单",
    missingPoints: "再获得 {n} 积分", topTier: "您已是最高等级。", keep: "保级 {name}（截至 {date}）",
    kept: "{name} 等级保留至 {date}。", review: "下次评定：{date}", window: "统计周期 {from} – {to}",
    spend: "消费", purchases: "订单", points: "积分", redeem: "兑换", cost: "{n} 积分", stock: "剩余 {n}",
    unlimited: "", limitLeft: "还可兑换 {n} 次", redeemed: "兑换成功，使用 {n} 积分。", not_started: "尚未开始",
    ended: "已结束", tier_reason: "更高等级专享", out_of_stock: "已兑完", limit_reached: "已达兑换上限",
    points_reason: "积分不足", noCoupons: "暂无优惠券。", couponUsed: "已使用", couponIssued: "有效期至 {date}",
    noRewards: "暂无可兑换礼品。", more: "更多", noHistory: "暂无记录。",
    invalid: "链接已过期或无效，请从商城重新进入会员中心。", earn: "获得", redeem_entry: "兑换", expire: "过期",
    clawback: "退款扣回", adjust: "人工调整", import: "导入", hold: "结算冻结", release: "解冻", sunset: "计划终止",
    redeem_refund: "退款退回积分",
    fromOrder: "订单 {id}", fromActivity: "{type}", fromReward: "礼品 {id}", rulesUsed: "规则：{ids}",
    validUntil: "{date} 到期", pendingUntil: "{date} 起可用", signup: "注册礼", birthday_src: "生日礼",
    referral: "推荐奖励", reason: "{reason}", confirm: "确定用 {n} 积分兑换 {name}？",
    draws: "我的抽奖", noPrize: "未中奖", membership: "付费会员有效期至 {date}",
  },
};

const params = new URLSearchParams(location.search);
if (params.has("token")) {
  sessionStorage.setItem("loyalty.memberToken", params.get("token"));
  params.delete("token");
  history.replaceState(null, "", location.pathname + (params.size ? `?${params}` : "") + location.hash);
}
const api = new Api(sessionStorage.getItem("loyalty.memberToken") || "");
let lang = pickLanguage(params.get("lang"));
const tabs = ["home", "tier", "history", "rewards", "coupons", "rules"];
const state = { me: null, tab: (location.hash || "#home").slice(1) };

function t(key, values = {}) {
  const text = TEXT[lang][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
}
const n = (value) => formatNumber(value, lang);
const main = document.getElementById("main");

function name(thing) {
  return (thing.names && thing.names[lang]) || thing.name;
}

function renderTabs() {
  const nav = document.getElementById("tabs");
  nav.replaceChildren(
    ...tabs.map((tab) =>
      el("a", {
        href: `#${tab}`,
        class: state.tab === tab ? "active" : "",
        testid: `nav-${tab}`,
      }, t(tab)),
    ),
  );
  document.getElementById("language").textContent = lang === "en" ? "中文" : "EN";
  document.documentElement.lang = lang;
  document.title = t("title");
}

async function load(path) {
  const answer = await api.get(path);
  if (answer.status === 401 || answer.status === 403) {
    main.replaceChildren(el("p", { class: "card error", testid: "portal-error" }, t("invalid")));
    throw new Error("unauthorized");
  }
  if (!answer.ok) {
    main.replaceChildren(el("p", { class: "card error" }, problemText(answer.body)));
    throw new Error(problemText(answer.body));
  }
  return answer.body;
}

async function home() {
  const me = (state.me = await load("/v1/me"));
  const expiring = me.expiring.slice(0, 5);
  return [
    el("section", { class: "card balance-card" },
      el("div", { class: "muted" }, t("available")),
      el("div", { class: "big", testid: "balance-available" }, n(me.balance.available)),
      el("div", { class: "row muted" },
        el("span", {}, `${t("pending")} `, el("b", { testid: "balance-pending" }, n(me.balance.pending))),
        el("span", {}, ` · ${t("held")} `, el("b", {}, n(me.balance.held))),
      ),
      el("div", { class: "row" }, el("span", { class: "tag", testid: "tier-name" }, name(me.tier))),
    ),
    me.tier_progress.next_tier
      ? el("a", { class: "card", href: "#tier", style: "display:block;color:inherit;text-decoration:none", testid: "upgrade-hint" },
          el("b", {}, t("nextTier", { name: name(me.tier_progress.next_tier) })), ": ",
          missingText(me.tier_progress.next_tier.missing))
      : null,
    el("section", { class: "card" },
      el("h3", {}, t("expiring")),
      expiring.length
        ? el("ul", { class: "list", testid: "expiring" },
            expiring.map((lot) => el("li", { class: "spread" },
              el("span", {}, `${t("expiresOn")} ${lot.expires_on}`), el("b", {}, n(lot.points)))))
        : el("p", { class: "muted" }, t("noneExpiring")),
    ),
  ];
}

function missingText(missing) {
  const parts = [];
  if (missing.spend) parts.push(t("missingSpend", { n: missing.spend }));
  if (missing.purchases) parts.push(t("missingPurchases", { n: missing.purchases }));
  if (missing.points) parts.push(t("missingPoints", { n: n(missing.points) }));
  return parts.join(lang === "en" ? " or " : "，或");
}

async function tier() {
  const me = (state.me = await load("/v1/me"));
  const { tier: current, tier_progress: progress } = me;
  const perks = [];
  if (current.earn_multiplier !== "1") perks.push(t("multiplier", { n: current.earn_multiplier }));
  if (current.birthday_bonus) perks.push(t("birthday", { n: current.birthday_bonus }));
  if (current.benefits.free_shipping) perks.push(t("freeShipping"));
  if (current.benefits.priority_service) perks.push(t("priority"));
  if (Number(current.benefits.discount_rate)) perks.push(t("discount", { n: Number(current.benefits.discount_rate) * 100 }));
  const next = progress.next_tier;
  const keep = progress.keep;
  const figures = progress.figures;
  return [
    el("section", { class: "card" },
      el("div", { class: "muted" }, t("tier")),
      el("div", { class: "big", testid: "tier-name" }, name(current)),
      current.review_on ? el("div", { class: "muted" }, t("review", { date: current.review_on })) : null,
      current.membership
        ? el("div", { class: "ok", testid: "membership" }, t("membership", { date: current.membership.until }))
        : null,
      el("h3", {}, t("benefits")),
      el("ul", { testid: "tier-benefits" }, perks.map((perk) => el("li", {}, perk))),
    ),
    el("section", { class: "card", testid: "upgrade-plan" },
      el("div", { class: "muted" }, t("window", { from: progress.window_from, to: progress.window_to })),
      el("div", { class: "row" },
        el("span", {}, `${t("spend")} ${figures.spend}`),
        el("span", {}, `· ${t("purchases")} ${figures.purchases}`),
        el("span", {}, `· ${t("points")} ${n(figures.points)}`)),
      next
        ? el("p", {}, el("b", {}, t("nextTier", { name: name(next) })), ": ", missingText(next.missing))
        : el("p", {}, t("topTier")),
      keep
        ? Object.keys(keep.missing).length
          ? el("p", {}, el("b", {}, t("keep", { name: name(current), date: keep.until || "" })), ": ", missingText(keep.missing))
          : el("p", { class: "ok" }, t("kept", { name: name(current), date: keep.until || "" }))
        : null,
    ),
  ];
}

function entryText(entry) {
  const type = entry.type === "redeem" ? "redeem_entry" : entry.type;
  const parts = [];
  if (entry.order_id) parts.push(t("fromOrder", { id: entry.order_id }));
  if (entry.activity_type) parts.push(t("fromActivity", { type: entry.activity_type.replace(/_/g, " ") }));
  if (entry.reward_id) parts.push(t("fromReward", { id: entry.reward_id }));
  if (entry.source === "signup") parts.push(t("signup"));
  if (entry.source === "birthday") parts.push(t("birthday_src"));
  if (entry.source === "referral") parts.push(t("referral"));
  if (entry.reason) parts.push(t("reason", { reason: entry.reason }));
  if (entry.rule_ids && entry.rule_ids.length) parts.push(t("rulesUsed", { ids: entry.rule_ids.join(", ") }));
  if (entry.available_on) parts.push(t("pendingUntil", { date: entry.available_on }));
  if (entry.expires_on && entry.points > 0) parts.push(t("validUntil", { date: entry.expires_on }));
  return { title: t(type), detail: parts.join(" · ") };
}

async function historyTab(cursor, list) {
  const page = await load(`/v1/me/transactions?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
  const items = list || el("ul", { class: "list", testid: "history" });
  for (const entry of page.items) {
    const { title, detail } = entryText(entry);
    const shown = entry.points || entry.held || 0;
    items.append(el("li", { testid: `entry-${entry.entry_id}` },
      el("div", { class: "spread" }, el("b", {}, title),
        el("span", { class: shown >= 0 ? "plus" : "minus" }, `${shown > 0 ? "+" : ""}${n(shown)}`)),
      el("div", { class: "muted" }, detail),
      el("div", { class: "muted" }, new Date(entry.created_at).toLocaleString(lang))));
  }
  if (!list) {
    const more = el("button", { class: "secondary", type: "button" }, t("more"));
    const box = el("section", { class: "card" }, page.items.length ? items : el("p", { class: "muted" }, t("noHistory")));
    if (page.next_cursor) {
      more.addEventListener("click", async () => {
        more.remove();
        const further = await historyTab(page.next_cursor, items);
        if (further) box.append(further);
      });
      box.append(more);
    }
    return [box];
  }
  if (page.next_cursor) {
    const more = el("button", { class: "secondary", type: "button" }, t("more"));
    more.addEventListener("click", async () => {
      more.remove();
      const further = await historyTab(page.next_cursor, items);
      if (further) items.after(further);
    });
    return more;
  }
  return null;
}

async function rewards() {
  const page = await load("/v1/me/rewards");
  if (!page.items.length) return [el("p", { class: "card muted" }, t("noRewards"))];
  const message = el("p", { class: "card hidden", testid: "redeem-message" });
  const cards = page.items.map((reward) => {
    const reasons = reward.reasons.map((reason) =>
      t(reason === "tier" ? "tier_reason" : reason === "points" ? "points_reason" : reason));
    const button = el("button", { type: "button", testid: `redeem-${reward.reward_id}`, disabled: !reward.redeemable }, t("redeem"));
    button.addEventListener("click", async () => {
      if (!window.confirm(t("confirm", { n: n(reward.current_points_cost), name: name(reward) }))) return;
      button.disabled = true;
      const answer = await api.post("/v1/me/redemptions", {
        redemption_id: naturalId("web"), reward_id: reward.reward_id, quantity: 1,
      });
      message.classList.remove("hidden");
      if (answer.ok) {
        message.className = "card ok";
        message.textContent = t("redeemed", { n: n(answer.body.points) });
        await show("rewards", message.textContent);
      } else {
        message.className = "card error";
        message.textContent = problemText(answer.body);
        button.disabled = false;
      }
    });
    return el("section", { class: "card reward", testid: `reward-${reward.reward_id}` },
      el("div", {},
        el("b", {}, name(reward)),
        el("div", { class: "muted" },
          t("cost", { n: n(reward.current_points_cost) }),
          reward.current_points_cost < reward.points_cost ? el("s", {}, ` ${n(reward.points_cost)}`) : null,
          reward.stock !== null ? ` · ${t("stock", { n: reward.stock })}` : "",
          reward.limit_left !== null ? ` · ${t("limitLeft", { n: reward.limit_left })}` : ""),
        reasons.length ? el("div", { class: "tag", testid: `reasons-${reward.reward_id}` }, reasons.join(" · ")) : null),
      button);
  });
  const draws = await load("/v1/me/draws");
  const drawn = draws.items.length
    ? [el("section", { class: "card" }, el("h3", {}, t("draws")), el("ul", { class: "list", testid: "draws" },
        draws.items.map((draw) => el("li", { class: "spread" },
          el("span", {}, draw.prize_name || t("noPrize")),
          el("span", { class: "muted" }, `${new Date(draw.created_at).toLocaleDateString(lang)} · ${t("cost", { n: n(draw.points) })}`)))))]
    : [];
  return [message, ...cards, ...drawn];
}

async function coupons() {
  const page = await load("/v1/me/coupons");
  if (!page.items.length) return [el("p", { class: "card muted" }, t("noCoupons"))];
  return [el("section", { class: "card" }, el("ul", { class: "list", testid: "coupons" },
    page.items.map((coupon) => el("li", {},
      el("div", { class: "spread" }, el("b", {}, coupon.name),
        el("span", { class: "tag" }, coupon.status === "used" ? t("couponUsed") : t("couponIssued", { date: coupon.valid_until.slice(0, 10) }))),
      el("code", {}, coupon.code)))))];
}

async function rules() {
  const document_ = await load(`/v1/me/program?lang=${lang}`);
  return [el("section", { class: "card rules", testid: "program-rules" },
    document_.sections.map((section) => el("div", { testid: `rules-${section.id}` },
      el("h3", {}, section.title),
      el("ul", {}, section.lines.map((line) => el("li", {}, line))))))];
}

const VIEWS = { home, tier, history: () => historyTab(), rewards, coupons, rules };

async function show(tab, keepMessage) {
  state.tab = VIEWS[tab] ? tab : "home";
  renderTabs();
  try {
    const content = await VIEWS[state.tab]();
    main.replaceChildren(...content);
    if (keepMessage) {
      const message = main.querySelector('[data-testid="redeem-message"]');
      if (message) {
        message.className = "card ok";
        message.textContent = keepMessage;
      }
    }
  } catch (error) {
    if (error.message !== "unauthorized") console.error(error);
  }
  if (!state.programName) {
    const rulesDocument = await api.get(`/v1/me/program?lang=${lang}`);
    if (rulesDocument.ok) state.programName = rulesDocument.body.name;
  }
  document.getElementById("program-name").textContent = state.programName || t("title");
}

document.getElementById("language").addEventListener("click", () => {
  lang = lang === "en" ? "zh-CN" : "en";
  localStorage.setItem("loyalty.lang", lang);
  show(state.tab);
});
window.addEventListener("hashchange", () => show(location.hash.slice(1)));
show(state.tab);
