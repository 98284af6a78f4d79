// chatkit-bridge debug console: speaks ChatKit to this bridge the way the widget does
// (POST {type, params}; SSE `data:` frames on streaming ops) and shows what comes back.
// Everything received is rendered with textContent, never parsed as HTML.
"use strict";

(() => {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
  const $ = (id) => document.getElementById(id);

  const API = meta("chatkit-path");
  const TOKEN_KEY = meta("token-key");
  const STREAMING_OPS = new Set(meta("streaming-ops").split(","));  // from the request unions
  const PRESETS = {
    "threads.list": { limit: 20, order: "desc" },
    "threads.create": { input: userInput("hello") },
    "threads.add_user_message": { thread_id: "", input: userInput("and then?") },
    "threads.get_by_id": { thread_id: "" },
    "items.list": { thread_id: "", limit: 20, order: "asc" },
    "threads.update": { thread_id: "", title: "Renamed" },
    "threads.delete": { thread_id: "" },
    "threads.custom_action": { thread_id: "", item_id: "", action: { type: "", payload: {} } },
  };

  const state = {
    threadId: null, // the open thread, null for a new one
    items: new Map(), // item id -> {item, el}
    controller: null, // AbortController of the running stream
  };

  // ---- small helpers ------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function userInput(text) {
    return { content: [{ type: "input_text", text }], attachments: [], inference_options: {} };
  }

  function contentText(content) {
    return (content || [])
      .map((part) => (part.type === "input_tag" ? `@${part.text}` : part.text || ""))
      .join(" ");
  }

  // `auth` banners (a 401) go as soon as a request succeeds; others stay until the next send.
  function showBanner(message, kind) {
    const banner = $("banner");
    banner.textContent = message || "";
    banner.hidden = !message;
    banner.dataset.kind = message ? kind || "error" : "";
  }

  function clearAuthBanner() {
    if ($("banner").dataset.kind === "auth") showBanner("");
  }

  class HTTPError extends Error {
    constructor(response, bodyText) {
      super(errorText(response, bodyText));
      this.status = response.status;
    }
  }

  function showError(error) {
    showBanner(error.message, error.status === 401 ? "auth" : "error");
  }

  function scrollToEnd() {
    const box = $("conversation");
    box.scrollTop = box.scrollHeight;
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  // The token lives in this page's memory only (issue 15): localStorage and sessionStorage are
  // readable by any script on this origin, so one page's script could take it from another.
  let bearer = "";

  function headers(stream) {
    const out = { "content-type": "application/json" };
    if (stream) out.accept = "text/event-stream";
    if (bearer) out.authorization = `Bearer ${bearer}`;
    return out;
  }

  function post(bodyText, stream, signal) {
    return fetch(API, { method: "POST", headers: headers(stream), body: bodyText, signal });
  }

  // The bridge answers errors as {"error": {"code", "message"}}.
  function errorText(response, bodyText) {
    let message = bodyText;
    try {
      const error = JSON.parse(bodyText).error || {};
      message = error.code ? `${error.code}: ${error.message}` : error.message || bodyText;
    } catch (_) {
      /* not JSON: show it as it is */
    }
    const hint = response.status === 401 ? " (set a token above)" : "";
    return `HTTP ${response.status}: ${message}${hint}`;
  }

  async function callJSON(type, params) {
    const response = await post(JSON.stringify({ type, params }), false);
    const text = await response.text();
    if (!response.ok) throw new HTTPError(response, text);
    clearAuthBanner();
    return JSON.parse(text);
  }

  // Yields {ms, text, data} per SSE block; `data` is the joined `data:` lines (null for comments).
  async function* sseFrames(response, started) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const frame = (block) => {
      const data = block
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""));
      return { ms: performance.now() - started, text: block, data: data.length ? data.join("\n") : null };
    };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.trim()) yield frame(block);
      }
    }
    if (buffer.trim()) yield frame(buffer);
  }

  // ---- raw log: every request's frames with their timing ----------------------------------

  // After "Expand all", frames that arrive later open too, so a second click always collapses.
  let rawExpanded = false;

  function rawStart(label) {
    rawExpanded = false;
    $("raw-frames").replaceChildren();
    $("raw-meta").textContent = `${label} …`;
    $("raw-toggle").hidden = true;
    $("raw-toggle").textContent = "Expand all";
  }

  function rawResponse(label, response, started) {
    const type = response.headers.get("content-type") || "";
    const ms = Math.round(performance.now() - started);
    $("raw-meta").textContent = `${label} → ${response.status} ${type} (headers after ${ms} ms)`;
  }

  // One frame: its time, then a <details> whose summary names the event (and a preview) and
  // whose body is the JSON indented; comments (`: ping`) and non-JSON stay one plain line.
  function rawFrame(ms, text, kind, options = {}) {
    const row = el("li", `frame ${kind || ""}`);
    row.append(el("span", "ms", `+${Math.round(ms)} ms`));
    const data = options.sse ? sseData(text) : text;
    let value;
    try {
      value = data === null ? undefined : JSON.parse(data);
    } catch (_) {
      value = undefined;
    }
    if (value === undefined || value === null || typeof value !== "object") {
      row.append(el("pre", null, text));
    } else {
      const details = el("details");
      details.open = !!options.open || rawExpanded;
      const summary = el("summary", null, frameSummary(value));
      details.append(summary, el("pre", "json", JSON.stringify(value, null, 2)));
      row.append(details);
      $("raw-toggle").hidden = false;
    }
    $("raw-frames").append(row);
  }

  function sseData(block) {
    const lines = block.split("\n").filter((line) => line.startsWith("data:"));
    return lines.length ? lines.map((line) => line.slice(5).replace(/^ /, "")).join("\n") : null;
  }

  function frameSummary(value) {
    if (Array.isArray(value)) return `[${value.length} entries]`;
    if (value.error) return `error ${value.error.code || ""}: ${value.error.message || ""}`;
    const parts = [value.type || (Array.isArray(value.data) ? `${value.data.length} records` : "object")];
    const update = value.update;
    if (update) parts.push(update.type.replace("assistant_message.content_part.", "part."));
    if (update && typeof update.delta === "string") parts.push(JSON.stringify(update.delta));
    if (value.item) parts.push(value.item.type);
    if (value.thread && value.thread.id) parts.push(value.thread.id);
    if (value.type === "error") parts.push(value.message || value.code);
    return parts.filter(Boolean).join(" · ");
  }

  function toggleRawFrames() {
    const all = [...document.querySelectorAll("#raw-frames details")];
    const open = !all.every((details) => details.open);
    rawExpanded = open;
    for (const details of all) details.open = open;
    $("raw-toggle").textContent = open ? "Collapse all" : "Expand all";
  }

  // ---- streams ------------------------------------------------------------------------------

  // `onAccepted` runs once the bridge has accepted the request (a 2xx with a stream).
  async function runStream(body, label, options = {}) {
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    setBusy(true);
    showBanner("");
    rawStart(label);
    const started = performance.now();
    try {
      const response = await post(JSON.stringify(body), true, controller.signal);
      rawResponse(label, response, started);
      if (!response.ok) {
        const text = await response.text();
        rawFrame(performance.now() - started, text, "error", { open: true });
        throw new HTTPError(response, text);
      }
      clearAuthBanner();
      if (options.onAccepted) options.onAccepted();
      for await (const frame of sseFrames(response, started)) {
        rawFrame(frame.ms, frame.text, frame.data === null ? "comment" : "", { sse: true });
        if (frame.data !== null) applyFrame(frame.data);
      }
    } catch (error) {
      if (error.name === "AbortError") note("stopped", "effect");
      else showError(error);
    } finally {
      if (state.controller === controller) {
        state.controller = null;
        setBusy(false);
      }
      clearProgress();
      loadThreads();
    }
  }

  function applyFrame(data) {
    let event;
    try {
      event = JSON.parse(data);
    } catch (_) {
      note(`unparsable frame: ${data}`, "error");
      return;
    }
    applyEvent(event);
    scrollToEnd();
  }

  function setBusy(busy) {
    $("send").disabled = busy;
    $("stop").hidden = !busy;
  }

  // ---- the conversation ---------------------------------------------------------------------

  function applyEvent(event) {
    switch (event.type) {
      case "thread.created":
      case "thread.updated":
        setThread(event.thread);
        break;
      case "thread.item.added":
      case "thread.item.done":
      case "thread.item.replaced":
        clearProgress();
        upsertItem(event.item);
        break;
      case "thread.item.updated":
        applyUpdate(event.item_id, event.update);
        break;
      case "thread.item.removed":
        removeItem(event.item_id);
        break;
      case "progress_update":
        showProgress(event.text);
        break;
      case "client_effect":
        note(`effect ${event.name} ${JSON.stringify(event.data || {})}`, "effect");
        break;
      case "notice":
        note(`${event.level}: ${event.title ? event.title + " — " : ""}${event.message}`, "notice");
        break;
      case "error":
        clearProgress();
        note(`error: ${event.message || event.code}${event.allow_retry ? " (retry allowed)" : ""}`, "error");
        break;
      case "stream_options":
        break;
      default:
        note(`event ${event.type}`, "effect");
    }
  }

  function setThread(thread) {
    state.threadId = thread.id;
    $("thread-title").textContent = thread.title || "Untitled thread";
    $("thread-id").textContent = thread.id;
    markActiveThread();
  }

  function clearConversation() {
    state.items.clear();
    $("conversation").replaceChildren();
  }

  function upsertItem(item) {
    const node = renderItem(item);
    const known = state.items.get(item.id);
    if (known) {
      if (node) known.el.replaceWith(node);
      else known.el.remove();
    } else if (node) {
      insertBeforeProgress(node);
    }
    if (node) state.items.set(item.id, { item, el: node });
    else state.items.delete(item.id);
  }

  function removeItem(itemId) {
    const known = state.items.get(itemId);
    if (known) known.el.remove();
    state.items.delete(itemId);
  }

  function applyUpdate(itemId, update) {
    const known = state.items.get(itemId);
    if (!known) return;
    const item = known.item;
    switch (update.type) {
      case "assistant_message.content_part.added":
        item.content = item.content || [];
        item.content[update.content_index] = update.content;
        break;
      case "assistant_message.content_part.text_delta": {
        const part = item.content && item.content[update.content_index];
        if (!part) return; // the widget loses deltas for parts never added
        part.text += update.delta;
        break;
      }
      case "assistant_message.content_part.done":
        item.content[update.content_index] = update.content;
        break;
      case "widget.root.updated":
        item.widget = update.widget;
        break;
      case "widget.component.updated":
        replaceComponent(item.widget, update.component_id, update.component);
        break;
      case "widget.streaming_text.value_delta": {
        const component = findComponent(item.widget, update.component_id);
        if (component) component.value = (component.value || "") + update.delta;
        break;
      }
      case "workflow.task.added":
      case "workflow.task.updated":
        item.workflow.tasks[update.task_index] = update.task;
        break;
      case "generated_image.updated":
        item.image = update.image;
        break;
      default:
        note(`update ${update.type}`, "effect");
        return;
    }
    upsertItem(item);
  }

  function renderItem(item) {
    switch (item.type) {
      case "user_message": {
        const node = el("div", "msg user", contentText(item.content));
        for (const file of item.attachments || []) node.append(el("div", "attachment", `📎 ${file.name}`));
        return withId(node, item);
      }
      case "assistant_message": {
        const node = el("div", "msg assistant");
        for (const part of item.content || []) node.append(el("div", "part", part ? part.text : ""));
        return withId(node, item);
      }
      case "widget": {
        const node = el("div", "item widget");
        node.append(renderWidget(item.widget, { itemId: item.id }));
        return withId(node, item);
      }
      case "client_tool_call":
        return withId(
          el("div", "note effect", `client tool ${item.name}(${JSON.stringify(item.arguments || {})}) — ${item.status}`),
          item,
        );
      case "workflow": {
        const node = el("div", "item workflow");
        const summary = item.workflow.summary;
        node.append(el("div", "caption", summary ? summary.title || `${summary.duration} s` : "Working…"));
        const list = el("ul");
        for (const task of item.workflow.tasks || []) list.append(el("li", null, task.title || task.content || task.type));
        node.append(list);
        return withId(node, item);
      }
      case "task":
        return withId(el("div", "note effect", `task: ${item.task.title || item.task.content || item.task.type}`), item);
      case "generated_image": {
        const node = el("div", "item image");
        const url = item.image && safeUrl(item.image.url);
        if (url) node.append(Object.assign(el("img"), { src: url, alt: "generated image" }));
        else node.textContent = "making an image…";
        return withId(node, item);
      }
      case "structured_input": {
        const node = el("div", "item structured");
        for (const input of item.inputs || []) node.append(el("div", null, `? ${input.question}`));
        node.append(el("div", "caption", item.status));
        return withId(node, item);
      }
      case "end_of_turn":
        return null;
      default:
        return withId(el("div", "note", `item ${item.type}`), item);
    }
  }

  function withId(node, item) {
    node.dataset.itemId = item.id;
    node.dataset.type = item.type;
    node.title = item.id;
    return node;
  }

  function note(text, kind) {
    insertBeforeProgress(el("div", `note ${kind || ""}`, text));
    scrollToEnd();
  }

  function insertBeforeProgress(node) {
    const progress = $("progress");
    if (progress) progress.before(node);
    else $("conversation").append(node);
  }

  function showProgress(text) {
    let progress = $("progress");
    if (!progress) {
      progress = el("div", "note progress");
      progress.id = "progress";
      $("conversation").append(progress);
    }
    progress.textContent = `… ${text}`;
  }

  function clearProgress() {
    const progress = $("progress");
    if (progress) progress.remove();
  }

  // ---- widgets: components as plain HTML ---------------------------------------------------

  function safeUrl(url) {
    return typeof url === "string" && /^(https?:|data:image\/)/i.test(url) ? url : null;
  }

  function children(node) {
    if (Array.isArray(node.children)) return node.children;
    if (node.child) return [node.child];
    return [];
  }

  function findComponent(node, id) {
    if (!node || typeof node !== "object") return null;
    if (node.id === id) return node;
    for (const child of children(node)) {
      const found = findComponent(child, id);
      if (found) return found;
    }
    return null;
  }

  function replaceComponent(node, id, replacement) {
    const list = node && Array.isArray(node.children) ? node.children : [];
    for (let i = 0; i < list.length; i++) {
      if (list[i] && list[i].id === id) list[i] = replacement;
      else replaceComponent(list[i], id, replacement);
    }
  }

  const spacing = (value) => (typeof value === "number" ? `${value * 4}px` : value);

  function layout(node, target) {
    if (node.gap !== undefined) target.style.gap = spacing(node.gap);
    if (node.padding !== undefined && typeof node.padding !== "object") target.style.padding = spacing(node.padding);
    if (node.align) target.style.alignItems = { start: "flex-start", end: "flex-end" }[node.align] || node.align;
    if (node.justify) target.style.justifyContent = { start: "flex-start", end: "flex-end", between: "space-between" }[node.justify] || node.justify;
    if (node.flex !== undefined) target.style.flex = String(node.flex);
    if (node.background && typeof node.background === "string") target.style.background = node.background;
  }

  function renderChildren(node, target, ctx) {
    for (const child of children(node)) target.append(renderWidget(child, ctx));
    return target;
  }

  function statusLine(status) {
    return el("div", "w-status", status.text || "");
  }

  function renderWidget(node, ctx) {
    if (!node || typeof node !== "object") return el("span", null, node);
    let out;
    switch (node.type) {
      case "Card":
      case "ListView":
      case "Basic": {
        out = el("div", `w-${node.type.toLowerCase()}`);
        if (node.status) out.append(statusLine(node.status));
        renderChildren(node, out, ctx);
        const actions = [node.confirm, node.cancel].filter(Boolean);
        if (actions.length) {
          const row = el("div", "w-row w-actions");
          for (const action of actions) row.append(actionButton(action.label, action.action, ctx));
          out.append(row);
        }
        break;
      }
      case "ListViewItem":
        out = renderChildren(node, el("div", "w-listitem"), ctx);
        if (node.onClickAction) {
          out.classList.add("clickable");
          out.addEventListener("click", () => sendAction(node.onClickAction, ctx));
        }
        break;
      case "Row":
        out = renderChildren(node, el("div", "w-row"), ctx);
        break;
      case "Col":
      case "Box":
      case "Transition":
        out = renderChildren(node, el("div", "w-col"), ctx);
        break;
      case "Text":
      case "Markdown":
        out = el(node.type === "Markdown" ? "div" : "span", `w-text ${node.type === "Markdown" ? "w-markdown" : ""}`, node.value);
        if (node.lineThrough) out.style.textDecoration = "line-through";
        if (node.weight) out.classList.add(`w-weight-${node.weight}`);
        if (node.color) out.classList.add(`w-color-${node.color}`);
        break;
      case "Title":
        out = el("div", "w-title", node.value);
        break;
      case "Caption":
      case "Label":
        out = el("span", "w-caption", node.value);
        break;
      case "Badge":
        out = el("span", `w-badge w-color-${node.color || "secondary"}`, node.label);
        break;
      case "Button":
        out = actionButton(node.label || node.iconStart || "button", node.onClickAction, ctx);
        if (node.submit) out.type = "submit";
        if (node.disabled) out.disabled = true;
        break;
      case "Divider":
        out = el("hr", "w-divider");
        break;
      case "Spacer":
        out = el("div", "w-spacer");
        break;
      case "Icon":
        out = el("span", "w-icon", `[${node.name}]`);
        break;
      case "Image": {
        const src = safeUrl(node.src);
        out = src ? Object.assign(el("img", "w-image"), { src, alt: node.alt || "" }) : el("span", "w-caption", "[image]");
        break;
      }
      case "Form":
        out = renderForm(node, ctx);
        break;
      case "Input":
      case "DatePicker":
        out = Object.assign(el("input", "w-input"), {
          name: node.name || "",
          type: node.type === "DatePicker" ? "date" : node.inputType || "text",
          placeholder: node.placeholder || "",
          value: node.defaultValue || "",
        });
        break;
      case "Textarea":
        out = Object.assign(el("textarea", "w-input"), { name: node.name || "", placeholder: node.placeholder || "" });
        out.value = node.defaultValue || "";
        break;
      case "Select":
        out = Object.assign(el("select", "w-input"), { name: node.name || "" });
        for (const option of node.options || []) out.append(Object.assign(el("option", null, option.label), { value: option.value }));
        if (node.defaultValue) out.value = node.defaultValue;
        break;
      case "Checkbox": {
        out = el("label", "w-check");
        const box = Object.assign(el("input"), { type: "checkbox", name: node.name || "", checked: !!node.defaultChecked });
        out.append(box, el("span", null, node.label || ""));
        break;
      }
      case "Table":
        out = renderChildren(node, el("table", "w-table"), ctx);
        break;
      case "TableRow":
        out = renderChildren(node, el("tr"), ctx);
        break;
      case "TableCell":
        out = renderChildren(node, el("td", null, node.value), ctx);
        break;
      default:
        out = el("div", "w-unknown");
        out.append(el("span", "w-tag", `<${node.type}>`));
        renderChildren(node, out, ctx);
    }
    if (node.id) out.dataset.componentId = node.id;
    out.dataset.component = node.type;
    layout(node, out);
    return out;
  }

  function renderForm(node, ctx) {
    const form = renderChildren(node, el("form", "w-form"), ctx);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const action = node.onSubmitAction;
      if (!action) return;
      const values = Object.fromEntries(new FormData(form).entries());
      sendAction({ ...action, payload: { ...(action.payload || {}), ...values } }, ctx);
    });
    return form;
  }

  function actionButton(label, action, ctx) {
    const button = el("button", "w-button", label);
    button.type = "button";
    if (action) button.addEventListener("click", () => sendAction(action, ctx));
    return button;
  }

  function sendAction(action, ctx) {
    if (action.handler === "client") {
      // The widget hands these to the page's onAction; there is no page here.
      note(`client action ${action.type} ${JSON.stringify(action.payload || {})}`, "effect");
      return;
    }
    if (!state.threadId) return;
    const params = { thread_id: state.threadId, action: { type: action.type, payload: action.payload ?? {} } };
    if (ctx.itemId) params.item_id = ctx.itemId;
    note(`action ${action.type} ${JSON.stringify(action.payload ?? {})}`, "effect");
    runStream({ type: "threads.custom_action", params }, "threads.custom_action (widget)");
  }

  // ---- threads ------------------------------------------------------------------------------

  async function loadThreads() {
    try {
      const page = await callJSON("threads.list", { limit: 50, order: "desc" });
      const list = $("thread-list");
      list.replaceChildren();
      for (const thread of page.data) {
        const row = el("li");
        const button = el("button", "thread", thread.title || "Untitled thread");
        button.type = "button";
        button.dataset.threadId = thread.id;
        button.append(el("span", "muted", new Date(thread.created_at).toLocaleString()));
        button.addEventListener("click", () => openThread(thread.id));
        row.append(button);
        list.append(row);
      }
      if (!page.data.length) list.append(el("li", "muted", "No threads yet."));
      markActiveThread();
    } catch (error) {
      showError(error);
    }
  }

  function markActiveThread() {
    for (const button of document.querySelectorAll("#thread-list button.thread")) {
      button.classList.toggle("active", button.dataset.threadId === state.threadId);
    }
  }

  async function openThread(threadId) {
    if (state.controller) state.controller.abort();
    showBanner("");
    try {
      const thread = await callJSON("threads.get_by_id", { thread_id: threadId });
      clearConversation();
      setThread(thread);
      let page = thread.items;
      for (;;) {
        for (const item of page.data) upsertItem(item);
        if (!page.has_more || !page.data.length) break;
        const after = page.after || page.data[page.data.length - 1].id;
        page = await callJSON("items.list", { thread_id: threadId, order: "asc", limit: 50, after });
      }
      scrollToEnd();
    } catch (error) {
      showError(error);
    }
  }

  function newThread() {
    if (state.controller) state.controller.abort();
    state.threadId = null;
    clearConversation();
    $("thread-title").textContent = "New thread";
    $("thread-id").textContent = "";
    markActiveThread();
    $("message").focus();
  }

  // ---- composer and raw panel ---------------------------------------------------------------

  function sendMessage(event) {
    event.preventDefault();
    const box = $("message");
    const typed = box.value;
    const text = typed.trim();
    if (!text || state.controller) return;
    const input = userInput(text);
    const body = state.threadId
      ? { type: "threads.add_user_message", params: { thread_id: state.threadId, input } }
      : { type: "threads.create", params: { input } };
    // Cleared only once the bridge accepted it: a 401 or 413 leaves the text to fix or resend.
    const onAccepted = () => {
      if (box.value === typed) box.value = "";
    };
    runStream(body, `${body.type} (composer)`, { onAccepted });
  }

  function fillPreset() {
    const type = $("raw-preset").value;
    const params = structuredClone(PRESETS[type]);
    if ("thread_id" in params && state.threadId) params.thread_id = state.threadId;
    $("raw-body").value = JSON.stringify({ type, params }, null, 2);
  }

  async function sendRaw(event) {
    event.preventDefault();
    let body;
    try {
      body = JSON.parse($("raw-body").value);
    } catch (error) {
      $("raw-meta").textContent = `not JSON: ${error.message}`;
      return;
    }
    const label = `${body.type || "?"} (raw)`;
    rawStart(label);
    const started = performance.now();
    try {
      const response = await post(JSON.stringify(body), STREAMING_OPS.has(body.type));
      rawResponse(label, response, started);
      if ((response.headers.get("content-type") || "").startsWith("text/event-stream")) {
        for await (const frame of sseFrames(response, started)) {
          rawFrame(frame.ms, frame.text, frame.data === null ? "comment" : "", { sse: true });
        }
        loadThreads();
      } else {
        const text = await response.text();
        rawFrame(performance.now() - started, text, response.ok ? "" : "error", { open: true });
      }
    } catch (error) {
      rawFrame(performance.now() - started, String(error), "error");
    }
  }

  // ---- start --------------------------------------------------------------------------------

  function start() {
    $("endpoint").textContent = `POST ${API}`;
    const token = $("token");
    localStorage.removeItem(TOKEN_KEY); // a token an older console stored there
    token.addEventListener("change", () => {
      bearer = token.value.trim();
      showBanner(""); // a new token: the old token's errors no longer apply
      loadThreads();
    });

    for (const type of Object.keys(PRESETS)) $("raw-preset").append(el("option", null, type));
    $("raw-preset").addEventListener("change", fillPreset);
    $("raw-form").addEventListener("submit", sendRaw);
    $("raw-toggle").addEventListener("click", toggleRawFrames);
    fillPreset();

    $("composer").addEventListener("submit", sendMessage);
    $("message").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) sendMessage(event);
    });
    $("stop").addEventListener("click", () => state.controller && state.controller.abort());
    $("new-thread").addEventListener("click", newThread);
    $("refresh-threads").addEventListener("click", loadThreads);

    loadThreads();
  }

  start();
})();
