// The region workbench's drawing surface (anywidget ES module, plain JavaScript, no build).
//
// Rectangles live in ORIGINAL image pixels ({x1, y1, x2, y2, name}); the picture shown is a
// downscaled preview, so every mouse position is mapped through the surface's on-screen box
// and the original size (`image_size`). During a gesture the rectangles are kept here only;
// the kernel hears about them once, when the gesture ends (pointer up, a key, a click), unless
// `_sync_every_move` is set (the benchmark's naive comparison).

const HANDLE_CORNERS = ["nw", "ne", "sw", "se"];
const CLICK_SLOP = 3; // screen pixels a press may wander and still be a click
const MIN_SAVE_GAP_MS = 100; // at most 10 syncs to the kernel a second

function clamp(v, lo, hi) {
  return Math.min(Math.max(v, lo), hi);
}

function normalized(a, b) {
  return {
    x1: Math.min(a.x, b.x),
    y1: Math.min(a.y, b.y),
    x2: Math.max(a.x, b.x),
    y2: Math.max(a.y, b.y),
  };
}

function copyRegions(regions) {
  return regions.map((r) => ({ x1: r.x1, y1: r.y1, x2: r.x2, y2: r.y2, name: r.name || "" }));
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function render({ model, el: root }) {
  let regions = copyRegions(model.get("regions") || []);
  let selected = -1;
  let gesture = null;
  let imageUrl = null;
  let saves = 0;

  const img = el("img", { class: "ocrwb-img", alt: "scan", draggable: "false" });
  const layer = el("div", { class: "ocrwb-layer" });
  const surface = el(
    "div",
    {
      class: "ocrwb-surface",
      tabindex: "0",
      role: "application",
      "aria-label": "Scan with rectangles to recognize",
      "data-ocr-workbench": "surface",
      // JupyterLab and Notebook 7 must not treat Delete/Backspace here as notebook shortcuts.
      "data-lm-suppress-shortcuts": "true",
      title:
        "Drag to draw a rectangle; drag one to move it, its corners to resize; " +
        "arrows nudge the selected one by a pixel; Delete removes it",
    },
    img,
    layer,
  );
  const list = el("ol", { class: "ocrwb-list", "data-ocr-workbench": "list" });
  const empty = el("p", { class: "ocrwb-empty", text: "Drag on the image to draw a rectangle, or click Detect." });
  const note = el("p", { class: "ocrwb-note", "data-ocr-workbench": "note", role: "status" });
  const panel = el("div", { class: "ocrwb-panel" }, empty, list, note);
  const frame = el(
    "div",
    // Keys typed in the workbench are not notebook shortcuts (JupyterLab, Notebook 7).
    { class: "ocrwb", "data-lm-suppress-shortcuts": "true" },
    el("div", { class: "ocrwb-view" }, surface),
    panel,
  );
  root.append(frame);

  function originalSize() {
    const size = model.get("image_size") || [1, 1];
    return { w: Math.max(1, size[0]), h: Math.max(1, size[1]) };
  }

  // Screen -> original pixels, exact: the surface's box is the picture's box (no border).
  function toImage(event) {
    const box = surface.getBoundingClientRect();
    const { w, h } = originalSize();
    return {
      x: clamp(Math.round(((event.clientX - box.left) * w) / box.width), 0, w),
      y: clamp(Math.round(((event.clientY - box.top) * h) / box.height), 0, h),
    };
  }

  // One message per gesture, and never more than 10 a second however fast gestures come
  // (a script, a trackpad): a save within 100 ms of the last one is deferred, and the
  // deferred save sends the rectangles as they are by then.
  let lastSave = -Infinity;
  let pendingSave = null;

  function flush() {
    pendingSave = null;
    lastSave = performance.now();
    model.set("regions", copyRegions(regions));
    model.save_changes();
    saves += 1;
    root.dataset.ocrSaves = String(saves);
  }

  function save() {
    if (model.get("_sync_every_move")) {
      flush(); // the benchmark's naive comparison: no pacing at all
      return;
    }
    if (pendingSave !== null) return;
    const wait = lastSave + MIN_SAVE_GAP_MS - performance.now();
    if (wait <= 0) flush();
    else pendingSave = setTimeout(flush, wait);
  }

  function loadImage() {
    if (imageUrl) URL.revokeObjectURL(imageUrl);
    const data = model.get("image");
    const { w, h } = originalSize();
    // Reserve the picture's height before it decodes, so the layout does not jump.
    surface.style.aspectRatio = `${w} / ${h}`;
    if (!data || !data.byteLength) {
      imageUrl = null;
      img.removeAttribute("src");
      return;
    }
    imageUrl = URL.createObjectURL(new Blob([data], { type: model.get("image_mime") || "image/png" }));
    img.src = imageUrl;
  }

  function drawBoxes() {
    const { w, h } = originalSize();
    const texts = model.get("texts") || [];
    layer.replaceChildren();
    regions.forEach((r, i) => {
      const label = el("span", { class: "ocrwb-label", text: r.name ? `${i} ${r.name}` : `${i}` });
      const box = el("div", {
        class: "ocrwb-box" + (i === selected ? " ocrwb-selected" : ""),
        "data-ocr-box": String(i),
        "data-ocr-region": String(i),
        title: texts[i] ? texts[i] : `rectangle ${i}`,
      }, label);
      // Pointing at a rectangle lights its row in the list, and the reverse (below).
      box.addEventListener("mouseenter", () => link(i, true));
      box.addEventListener("mouseleave", () => link(i, false));
      box.style.left = `${(100 * r.x1) / w}%`;
      box.style.top = `${(100 * r.y1) / h}%`;
      box.style.width = `${(100 * (r.x2 - r.x1)) / w}%`;
      box.style.height = `${(100 * (r.y2 - r.y1)) / h}%`;
      if (i === selected) {
        for (const corner of HANDLE_CORNERS) {
          box.append(el("span", { class: `ocrwb-handle ocrwb-${corner}`, "data-corner": corner }));
        }
      }
      layer.append(box);
    });
  }

  function drawList() {
    const texts = model.get("texts") || [];
    empty.hidden = regions.length > 0;
    list.replaceChildren();
    regions.forEach((r, i) => {
      const name = el("input", {
        class: "ocrwb-name",
        type: "text",
        placeholder: "name",
        "aria-label": `Name of rectangle ${i}`,
        "data-ocr-name": String(i),
      });
      name.value = r.name || "";
      name.addEventListener("focus", () => select(i));
      const rename = () => {
        const value = name.value.trim();
        if (value === (regions[i].name || "")) return;
        regions[i].name = value;
        save();
        drawBoxes();
      };
      name.addEventListener("change", rename);
      name.addEventListener("keydown", (event) => {
        event.stopPropagation(); // typing a name is not a notebook shortcut
        if (event.key === "Enter") rename();
      });
      const up = el("button", { class: "ocrwb-btn", type: "button", title: "Move up", "aria-label": "Move up", text: "\u2191" });
      const down = el("button", { class: "ocrwb-btn", type: "button", title: "Move down", "aria-label": "Move down", text: "\u2193" });
      const remove = el("button", { class: "ocrwb-btn", type: "button", title: "Remove", "aria-label": "Remove", text: "\u00d7" });
      up.disabled = i === 0;
      down.disabled = i === regions.length - 1;
      up.addEventListener("click", () => move(i, i - 1));
      down.addEventListener("click", () => move(i, i + 1));
      remove.addEventListener("click", () => removeAt(i));
      // A recognized text is editable in place: the edit goes to the kernel as a correction
      // (the service's text is kept beside it) when the field is left or Enter is pressed.
      const text = el("div", {
        class: "ocrwb-text",
        "data-ocr-text": String(i),
        dir: "auto",
        contenteditable: "plaintext-only",
        spellcheck: "false",
        title: "Edit to correct the recognized text",
      });
      text.textContent = texts[i] || "";
      text.hidden = !texts[i];
      const correct = () => {
        const value = text.textContent.replace(/\s+$/, "");
        if (!value || value === (model.get("texts") || [])[i]) return;
        model.send({ kind: "correct", index: i, text: value });
      };
      text.addEventListener("focus", () => select(i));
      text.addEventListener("blur", correct);
      text.addEventListener("keydown", (event) => {
        event.stopPropagation(); // typing a correction is not a notebook shortcut
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          text.blur();
        }
      });
      const row = el(
        "li",
        {
          class: "ocrwb-row" + (i === selected ? " ocrwb-selected" : ""),
          "data-ocr-row": String(i),
          "data-ocr-region": String(i),
        },
        el("div", { class: "ocrwb-head" }, el("span", { class: "ocrwb-num", text: String(i) }), name, up, down, remove),
        text,
      );
      row.addEventListener("mouseenter", () => link(i, true));
      row.addEventListener("mouseleave", () => link(i, false));
      row.addEventListener("focusin", () => link(i, true));
      row.addEventListener("focusout", () => link(i, false));
      row.addEventListener("mousedown", (event) => {
        if (event.target === row || event.target === text) select(i);
      });
      list.append(row);
    });
  }

  // Rectangle i and its row share data-ocr-region="i"; light both while either is pointed at
  // or focused (front-end only: nothing is sent to the kernel).
  function link(i, on) {
    for (const node of [...layer.children, ...list.children]) {
      if (node.getAttribute("data-ocr-region") === String(i)) node.classList.toggle("ocrwb-linked", on);
    }
  }

  function redraw() {
    drawBoxes();
    drawList();
  }

  function select(i) {
    if (selected === i) return;
    selected = i;
    drawBoxes();
    for (const row of list.children) {
      row.classList.toggle("ocrwb-selected", row.dataset.ocrRow === String(i));
    }
  }

  function move(from, to) {
    if (to < 0 || to >= regions.length) return;
    const [item] = regions.splice(from, 1);
    regions.splice(to, 0, item);
    selected = to;
    save();
    redraw();
  }

  function removeAt(i) {
    if (i < 0 || i >= regions.length) return;
    regions.splice(i, 1);
    selected = Math.min(i, regions.length - 1);
    save();
    redraw();
  }

  function onPointerDown(event) {
    if (event.button !== 0) return;
    event.preventDefault();
    surface.focus({ preventScroll: true });
    const point = toImage(event);
    const handle = event.target.closest("[data-corner]");
    const boxNode = event.target.closest("[data-ocr-box]");
    const start = { clientX: event.clientX, clientY: event.clientY, point };
    if (handle && boxNode) {
      const i = Number(boxNode.dataset.ocrBox);
      gesture = { kind: "resize", i, corner: handle.dataset.corner, start, before: { ...regions[i] } };
    } else if (boxNode) {
      const i = Number(boxNode.dataset.ocrBox);
      select(i);
      gesture = { kind: "move", i, start, before: { ...regions[i] } };
    } else {
      gesture = { kind: "draw", i: -1, start };
    }
    window.addEventListener("pointermove", onPointerMove);
    window.addEventListener("pointerup", onPointerUp);
  }

  function moved(event) {
    return (
      Math.abs(event.clientX - gesture.start.clientX) > CLICK_SLOP ||
      Math.abs(event.clientY - gesture.start.clientY) > CLICK_SLOP
    );
  }

  function apply(event) {
    const { w, h } = originalSize();
    const point = toImage(event);
    if (gesture.kind === "draw") {
      if (!moved(event) && gesture.i < 0) return false;
      const box = normalized(gesture.start.point, point);
      if (gesture.i < 0) {
        regions.push({ ...box, name: "" });
        gesture.i = regions.length - 1;
        selected = gesture.i;
      } else {
        Object.assign(regions[gesture.i], box);
      }
      return true;
    }
    const before = gesture.before;
    const r = regions[gesture.i];
    if (gesture.kind === "move") {
      const dx = point.x - gesture.start.point.x;
      const dy = point.y - gesture.start.point.y;
      const bw = before.x2 - before.x1;
      const bh = before.y2 - before.y1;
      r.x1 = clamp(before.x1 + dx, 0, w - bw);
      r.y1 = clamp(before.y1 + dy, 0, h - bh);
      r.x2 = r.x1 + bw;
      r.y2 = r.y1 + bh;
      return true;
    }
    // resize: the dragged corner follows the mouse, the opposite one stays
    const fixed = {
      x: gesture.corner.endsWith("w") ? before.x2 : before.x1,
      y: gesture.corner.startsWith("n") ? before.y2 : before.y1,
    };
    Object.assign(r, normalized(fixed, point));
    return true;
  }

  function onPointerMove(event) {
    if (!gesture) return;
    if (apply(event)) {
      drawBoxes();
      if (model.get("_sync_every_move")) save();
    }
  }

  function onPointerUp(event) {
    window.removeEventListener("pointermove", onPointerMove);
    window.removeEventListener("pointerup", onPointerUp);
    if (!gesture) return;
    const g = gesture;
    apply(event);
    gesture = null;
    if (g.kind === "draw" && g.i < 0) {
      select(-1); // a click on the bare image: deselect
      return;
    }
    const r = regions[g.i];
    if (r.x2 - r.x1 < 1 || r.y2 - r.y1 < 1) {
      // Zero area: a drawn one is dropped, an edited one goes back to what it was.
      if (g.kind === "draw") {
        regions.splice(g.i, 1);
        selected = -1;
      } else {
        Object.assign(r, g.before);
      }
      note.textContent = "A rectangle needs some width and height; that one was not kept.";
      redraw();
      return;
    }
    const b = g.before;
    const changed = !b || b.x1 !== r.x1 || b.y1 !== r.y1 || b.x2 !== r.x2 || b.y2 !== r.y2;
    if (changed) save();
    redraw();
  }

  const NUDGES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  function onKeyDown(event) {
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      event.stopPropagation();
      if (selected >= 0 && !gesture) removeAt(selected);
      return;
    }
    // Arrows move the selected rectangle by one ORIGINAL pixel (Shift: ten), for the
    // precision a downscaled picture cannot give the mouse.
    const nudge = NUDGES[event.key];
    if (!nudge || selected < 0 || gesture) return;
    event.preventDefault();
    event.stopPropagation();
    const { w, h } = originalSize();
    const step = event.shiftKey ? 10 : 1;
    const r = regions[selected];
    const bw = r.x2 - r.x1;
    const bh = r.y2 - r.y1;
    r.x1 = clamp(r.x1 + nudge[0] * step, 0, w - bw);
    r.y1 = clamp(r.y1 + nudge[1] * step, 0, h - bh);
    r.x2 = r.x1 + bw;
    r.y2 = r.y1 + bh;
    drawBoxes();
    save();
  }

  surface.addEventListener("pointerdown", onPointerDown);
  surface.addEventListener("keydown", onKeyDown);

  function onRegions() {
    // The user's drag (or a save not yet sent) wins: it sends the final state.
    if (gesture || pendingSave !== null) return;
    regions = copyRegions(model.get("regions") || []);
    if (selected >= regions.length) selected = regions.length - 1;
    redraw();
  }
  function onNote() {
    note.textContent = model.get("note") || "";
  }
  model.on("change:regions", onRegions);
  model.on("change:texts", redraw);
  model.on("change:note", onNote);
  model.on("change:image", loadImage);
  model.on("change:image_size", () => {
    loadImage();
    redraw();
  });

  loadImage();
  onNote();
  redraw();

  return () => {
    if (pendingSave !== null) flush(); // a view closing still delivers the last edit
    window.removeEventListener("pointermove", onPointerMove);
    window.removeEventListener("pointerup", onPointerUp);
    if (imageUrl) URL.revokeObjectURL(imageUrl);
  };
}

export default { render };
