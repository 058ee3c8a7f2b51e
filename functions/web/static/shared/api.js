// A small client for the loyalty API, shared by the portal and the console.
// Every call answers {status, ok, body}; problem+json bodies are kept as they are, so a page can
// show the API's own messages (title, detail, errors[].loc/msg) where they belong.

export class Api {
  constructor(credential) {
    this.credential = credential;
  }

  // A body is sent as JSON, or as it is with `contentType` (a CSV file: text/csv).
  async call(method, path, body, contentType) {
    const headers = { Authorization: `Bearer ${this.credential}` };
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = contentType || "application/json";
      init.body = typeof body === "string" || contentType ? body : JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (error) {
      return { status: 0, ok: false, body: { title: "Network error", detail: String(error) } };
    }
    const text = await response.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { title: text };
    }
    return { status: response.status, ok: response.ok, body: parsed };
  }

  get(path) {
    return this.call("GET", path);
  }

  post(path, body) {
    return this.call("POST", path, body === undefined ? {} : body);
  }

  put(path, body) {
    return this.call("PUT", path, body);
  }

  delete(path) {
    return this.call("DELETE", path);
  }
}

// A natural id for one user action (the API is exactly-once per id: a retried click never
// spends twice).
export function naturalId(prefix) {
  const random = crypto.getRandomValues(new Uint32Array(3));
  return `${prefix}-${Date.now().toString(36)}-${Array.from(random, (n) => n.toString(36)).join("")}`;
}

// The problem's words for a person: detail, and each validation error as "field: message".
export function problemText(body) {
  if (!body) return "";
  const lines = [body.detail || body.title || ""];
  for (const error of body.errors || []) {
    lines.push(`${(error.loc || []).filter((part) => part !== "body").join(".")}: ${error.msg}`);
  }
  return lines.filter(Boolean).join("\n");
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "testid") node.dataset.testid = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function pickLanguage(requested) {
  const wanted = requested || localStorage.getItem("loyalty.lang") || navigator.language || "en";
  return wanted.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

export function formatNumber(value, lang) {
  return new Intl.NumberFormat(lang).format(value);
}
