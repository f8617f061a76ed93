"use strict";
// The emulated token's page: draws the OLED from the panel's pixels (SSE snapshots from the
// sim), and sends key presses and finger touches back. The sim queues them for its own loop.
(() => {
  const W = 128, H = 64, S = 4;
  const DARK = [8, 10, 14], LIT = [150, 215, 255];
  const ROWS = ["123A", "456B", "789C", "*0#D"];
  const canvas = document.getElementById("oled");
  const ctx = canvas.getContext("2d");
  const status = document.getElementById("status");
  const led = document.getElementById("led");
  const buttons = {};
  let frames = 0;
  let sending = Promise.resolve();

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then((r) => r.ok ? r.json() : r.json().then((e) => { throw new Error(e.error); }))
      .catch((e) => { status.textContent = "not sent: " + e.message; status.classList.add("bad"); });
  }

  function press(key) {
    const b = buttons[key];
    if (b) {
      b.classList.add("down");
      setTimeout(() => b.classList.remove("down"), 120);
    }
    // One request at a time, so the token gets the keys in the order they were pressed.
    sending = sending.then(() => post("/key", { key }));
  }

  for (const row of ROWS) {
    for (const key of row) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = key;
      b.dataset.key = key;
      b.setAttribute("aria-label", "key " + key);
      if ("ABCD".includes(key)) b.classList.add("letter");
      b.addEventListener("click", () => press(key));
      document.getElementById("keypad").appendChild(b);
      buttons[key] = b;
    }
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.tagName === "SELECT") return;
    let key = e.key.length === 1 ? e.key.toUpperCase() : "";
    if (e.key === "Enter") key = "#";
    if (e.key === "Backspace" || e.key === "Delete") key = "*";
    if (key && "0123456789ABCD*#".includes(key)) {
      e.preventDefault();
      press(key);
    }
  });

  function draw(snap) {
    const raw = atob(snap.fb);
    const level = snap.on ? 0.35 + 0.65 * snap.contrast / 255 : 0;
    const lit = LIT.map((c, i) => Math.round(DARK[i] + (c - DARK[i]) * level));
    ctx.fillStyle = `rgb(${DARK.join(",")})`;
    ctx.fillRect(0, 0, W * S, H * S);
    ctx.fillStyle = `rgb(${lit.join(",")})`;
    for (let y = 0; y < H; y++) {
      const base = (y >> 3) * W, bit = 1 << (y & 7);
      for (let x = 0; x < W; x++) {
        if (raw.charCodeAt(base + x) & bit) ctx.fillRect(x * S, y * S, S - 1, S - 1);
      }
    }
    if (snap.led) {
      led.style.background = snap.led;
      led.style.color = snap.led;
      led.classList.add("on");
      led.setAttribute("aria-label", "LED " + snap.led);
    } else {
      led.style.background = "";
      led.classList.remove("on");
      led.setAttribute("aria-label", "LED off");
    }
    frames += 1;
    document.body.dataset.frames = String(frames);
  }

  function setupSensor(fingers) {
    const touch = document.getElementById("touch");
    const picker = document.getElementById("finger");
    if (!fingers) {
      document.getElementById("sensor-note").textContent =
        "no fingerprint sensor on this emulated board yet";
      return;
    }
    for (const f of fingers) {
      const o = document.createElement("option");
      o.value = String(f.id);
      o.textContent = f.label;
      picker.appendChild(o);
    }
    touch.disabled = picker.disabled = false;
    let placed = false;
    const lift = () => {
      if (!placed) return;
      placed = false;
      touch.classList.remove("placed");
      post("/finger", { action: "lift" });
    };
    touch.addEventListener("pointerdown", (e) => {
      touch.setPointerCapture(e.pointerId);
      placed = true;
      touch.classList.add("placed");
      post("/finger", { action: "place", id: Number(picker.value) });
    });
    touch.addEventListener("pointerup", lift);
    touch.addEventListener("pointercancel", lift);
  }

  fetch("/info").then((r) => r.json()).then((info) => {
    document.getElementById("port-cmd").textContent =
      `watchword enroll bank --suite OCRA-1:HOTP-SHA1-6:QN08 --generate --show-secret --port ${info.port}`;
    document.title = `Watchword: emulated ${info.board} token`;
    setupSensor(info.fingers);
  });

  const events = new EventSource("/events");
  events.onopen = () => { status.textContent = "live"; status.classList.remove("bad"); };
  events.onmessage = (e) => draw(JSON.parse(e.data));
  events.onerror = () => {
    status.textContent = "the emulated token is not answering: is `watchword sim --ui` running?";
    status.classList.add("bad");
  };
})();
