// remixer studio: drag and drop, recipe switching, copy buttons, live progress (SSE).
// No inline scripts (the pages' Content-Security-Policy forbids them); all text set with
// textContent, never innerHTML.
"use strict";

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setupDrop() {
  const drop = document.getElementById("drop");
  const input = document.getElementById("files");
  const list = document.getElementById("dropped");
  if (!drop || !input) return;
  const show = () => {
    list.replaceChildren(...Array.from(input.files).map(f => el("li", "", `${f.name} (${Math.ceil(f.size / 1024)} KB)`)));
  };
  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach(type => drop.addEventListener(type, e => {
    e.preventDefault(); drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach(type => drop.addEventListener(type, () => drop.classList.remove("over")));
  drop.addEventListener("drop", e => {
    e.preventDefault();
    const all = new DataTransfer();
    Array.from(input.files).concat(Array.from(e.dataTransfer.files)).forEach(f => all.items.add(f));
    input.files = all.files;
    show();
  });
}

function setupRecipe() {
  const select = document.getElementById("recipe");
  if (!select) return;
  const sync = () => document.querySelectorAll("fieldset[data-recipe]").forEach(fs => {
    const on = fs.dataset.recipe === select.value;
    fs.disabled = !on;
    fs.classList.toggle("hidden", !on);
  });
  select.addEventListener("change", sync);
  sync();
}

function setupCopy() {
  document.querySelectorAll("button.copy").forEach(button => button.addEventListener("click", async () => {
    const text = button.closest(".output").querySelector("pre.text").textContent;
    try { await navigator.clipboard.writeText(text); button.textContent = "copied"; }
    catch (err) { button.textContent = "select and copy"; }
  }));
  document.querySelectorAll("form.confirm").forEach(form => form.addEventListener("submit", e => {
    if (!window.confirm(form.dataset.confirm)) e.preventDefault();
  }));
}

function renderProgress(job) {
  const state = document.getElementById("state");
  state.textContent = job.state;
  state.className = `badge ${job.state}`;
  const p = job.progress;
  document.getElementById("progress-line").textContent = `${p.steps_done} of ${p.steps} steps`;
  const bar = document.getElementById("progress-bar");
  bar.max = p.steps || 1;
  bar.value = p.steps_done;
  const sources = job.sources.map(source => {
    const card = el("section", `card source ${source.status}`);
    card.dataset.slug = source.slug;
    const title = el("h2", "", source.name + " ");
    title.append(el("span", `badge ${source.status}`, source.status));
    card.append(title);
    if (source.error) card.append(el("p", "error", source.error));
    const table = el("table", "steps");
    const body = el("tbody");
    source.steps.forEach(step => {
      const row = el("tr", `step ${step.status}`);
      row.dataset.step = step.id;
      const name = el("td");
      const link = el("a", "", step.id);
      link.href = `/jobs/${job.id}/${source.slug}/${step.id}`;
      name.append(link);
      row.append(name);
      const status = el("td", "status", step.status);
      if (step.status === "running") {
        const meter = el("progress");
        meter.max = 1; meter.value = step.fraction || 0;
        status.append(" ", meter);
        if (step.label) status.append(" ", el("span", "label", step.label));
      }
      if (step.error) status.append(el("div", "error", step.error));
      row.append(status, el("td", "", (step.files || []).join(" ")));
      body.append(row);
    });
    table.append(body);
    card.append(table);
    return card;
  });
  document.getElementById("sources").replaceChildren(...sources);
}

function setupProgress() {
  const main = document.getElementById("job");
  if (!main || ["done", "failed", "cancelled", "interrupted"].includes(main.dataset.state)) return;
  const stream = new EventSource(`/api/jobs/${main.dataset.job}/events`);
  stream.addEventListener("progress", e => renderProgress(JSON.parse(e.data)));
  stream.addEventListener("finished", () => { stream.close(); window.location.reload(); });
  stream.addEventListener("gone", () => { stream.close(); window.location.href = "/"; });
}

document.addEventListener("DOMContentLoaded", () => {
  setupDrop(); setupRecipe(); setupCopy(); setupProgress();
});
