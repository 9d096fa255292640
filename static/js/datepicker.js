// A calendar under the date fields (blueprints/forms/dates.py). Those fields are plain text inputs because
// Chromium draws <input type=date> in the browser's language (mm/dd/yyyy) whatever language the person chose here;
// each says its format in data-date-format ("dd.MM.yyyy", "M/d/yyyy", "d. M. yyyy"), and a date-and-time field
// says data-time-format ("HH:mm") too.
// - Focusing or clicking such a field opens a month grid below it; picking a day writes the day in the field's
//   format (a date-and-time field keeps the time it held, else waits for one, the caret at the end).
// - Month and weekday names come from the browser's Intl in the page's language (<html lang>), not from our
//   catalogs: nothing here needs translating. Weeks start on Monday, except in English (Sunday, as the US does).
// - Typing is never in the way: the first key typed closes the grid (it would only hide the fields below it),
//   ArrowDown or a click opens it again; Esc closes it; in the grid the arrows, PageUp/PageDown, Enter and Esc work.
// - No inline script or style attribute (CSP: script-src 'self', style-src 'self'): the grid is positioned
//   through the CSSOM and styled by .datepicker in app.css.
(function () {
  const FIELD = "input[data-date-format]";
  const lang = document.documentElement.lang || "en";
  const weekStart = lang.split("-")[0] === "en" ? 0 : 1;   // Date#getDay: 0 Sunday, 1 Monday
  const monthTitle = new Intl.DateTimeFormat(lang, { month: "long", year: "numeric" });
  const dayName = new Intl.DateTimeFormat(lang, { dateStyle: "full" });
  const weekdayNarrow = new Intl.DateTimeFormat(lang, { weekday: "narrow" });
  const weekdayLong = new Intl.DateTimeFormat(lang, { weekday: "long" });

  let popup = null;     // the one grid, moved to whichever field is open
  let field = null;     // the field it belongs to, or null when closed
  let shown = null;     // the first day of the month on show
  let keepClosed = false;   // set while the picker itself puts the focus back in the field

  // --- the format: the same rules as dates.py (1 or 2 digits, any spaces around separators; ISO read too) ---

  function parts(pattern) {
    return pattern.match(/d+|M+|y+|[^dMy]+/g) || [];
  }

  function format(pattern, day) {
    const numbers = { d: day.getDate(), M: day.getMonth() + 1, y: day.getFullYear() };
    return parts(pattern).map(function (part) {
      const n = numbers[part[0]];
      return n === undefined ? part : String(n).padStart(part.length, "0");
    }).join("");
  }

  function escape(text) {
    return text.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
  }

  // The day at the start of TEXT, read in PATTERN or as ISO; null when it names none.
  function parse(pattern, text) {
    const order = [];
    const source = parts(pattern).map(function (part) {
      if ("dMy".includes(part[0])) {
        order.push(part[0]);
        return part[0] === "y" ? "(\\d{4})" : "(\\d{1,2})";
      }
      return part.trim() ? "\\s*" + escape(part.trim()) + "\\s*" : "\\s+";
    }).join("");
    const attempts = [[new RegExp("^\\s*" + source), order], [/^\s*(\d{4})-(\d{1,2})-(\d{1,2})/, ["y", "M", "d"]]];
    for (const [regex, names] of attempts) {
      const found = regex.exec(text);
      if (!found) continue;
      const n = {};
      names.forEach(function (name, i) { n[name] = Number(found[i + 1]); });
      const day = new Date(n.y, n.M - 1, n.d);
      if (day.getFullYear() === n.y && day.getMonth() === n.M - 1 && day.getDate() === n.d) return day;
    }
    return null;
  }

  function sameDay(a, b) {
    return !!a && !!b && a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() &&
      a.getDate() === b.getDate();
  }

  function isoDay(day) {
    return format("yyyy-MM-dd", day);
  }

  // --- the grid ---

  function button(text, label, step) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "datepicker-step";
    b.textContent = text;
    b.dataset.step = String(step);
    b.setAttribute("aria-label", label);
    b.title = label;
    return b;
  }

  function render(focusDay) {
    const chosen = parse(field.dataset.dateFormat, field.value);
    const today = new Date();
    const year = shown.getFullYear(), month = shown.getMonth();
    popup.replaceChildren();

    const head = document.createElement("div");
    head.className = "datepicker-head";
    const title = document.createElement("span");
    title.className = "datepicker-title";
    title.textContent = monthTitle.format(shown);
    // The steps are named by the month they lead to ("Februar 2026"), in the page's language without a catalog.
    head.append(button("«", monthTitle.format(new Date(year - 1, month, 1)), -12),
                button("‹", monthTitle.format(new Date(year, month - 1, 1)), -1), title,
                button("›", monthTitle.format(new Date(year, month + 1, 1)), 1),
                button("»", monthTitle.format(new Date(year + 1, month, 1)), 12));
    popup.setAttribute("aria-label", title.textContent);

    const table = document.createElement("table");
    table.className = "datepicker-grid";
    const headRow = table.createTHead().insertRow();
    for (let i = 0; i < 7; i++) {
      const weekday = new Date(2024, 0, 7 + weekStart + i);   // 7 January 2024 was a Sunday
      const th = document.createElement("th");
      th.scope = "col";
      th.abbr = weekdayLong.format(weekday);
      th.title = th.abbr;
      th.textContent = weekdayNarrow.format(weekday);
      headRow.append(th);
    }
    const body = table.createTBody();
    const lead = (new Date(year, month, 1).getDay() - weekStart + 7) % 7;
    const days = new Date(year, month + 1, 0).getDate();
    let row = null, focusable = null;
    for (let cell = 0; cell < lead + days; cell++) {
      if (cell % 7 === 0) row = body.insertRow();
      const td = row.insertCell();
      if (cell < lead) continue;
      const day = new Date(year, month, cell - lead + 1);
      const b = document.createElement("button");
      b.type = "button";
      b.className = "datepicker-day";
      b.textContent = String(day.getDate());
      b.dataset.day = isoDay(day);
      b.setAttribute("aria-label", dayName.format(day));
      b.tabIndex = -1;
      if (sameDay(day, today)) b.classList.add("today");
      if (sameDay(day, chosen)) {
        b.classList.add("chosen");
        b.setAttribute("aria-pressed", "true");
      }
      if (sameDay(day, focusDay || chosen || today) || (!focusable && cell === lead)) focusable = b;
      td.append(b);
    }
    if (focusable) focusable.tabIndex = 0;
    popup.append(head, table);
    if (focusDay && focusable) focusable.focus();
  }

  function place() {
    const box = field.getBoundingClientRect();
    const width = popup.offsetWidth;
    const left = Math.max(4, Math.min(box.left, document.documentElement.clientWidth - width - 4));
    popup.style.left = Math.round(left + window.scrollX) + "px";
    popup.style.top = Math.round(box.bottom + window.scrollY + 4) + "px";
  }

  function open(input) {
    if (field === input) return;
    if (!popup) {
      popup = document.createElement("div");
      popup.className = "datepicker";
      popup.setAttribute("role", "dialog");
      popup.hidden = true;
      // A click in the grid must not take the focus from the field (its focusout would close the grid).
      popup.addEventListener("mousedown", function (event) { event.preventDefault(); });
      popup.addEventListener("click", onPopupClick);
      popup.addEventListener("keydown", onPopupKey);
      document.body.append(popup);
    }
    field = input;
    const chosen = parse(input.dataset.dateFormat, input.value) || new Date();
    shown = new Date(chosen.getFullYear(), chosen.getMonth(), 1);
    render(null);
    popup.hidden = false;
    input.setAttribute("aria-expanded", "true");
    place();
  }

  function close() {
    if (!field) return;
    field.setAttribute("aria-expanded", "false");
    field = null;
    popup.hidden = true;
  }

  function focusField(input) {
    keepClosed = true;
    input.focus();
    keepClosed = false;
  }

  function pick(day) {
    const input = field;
    let value = format(input.dataset.dateFormat, day);
    if (input.dataset.timeFormat) {
      // Keep the time the field held (after a space, a comma or ISO's T); else leave room for one.
      const time = /(?:\s|,|T)(\d{1,2}[:.]\d{2})(?:[:.]\d{2})?\s*$/.exec(input.value);
      value += " " + (time ? time[1] : "");
    }
    close();
    input.value = value;
    focusField(input);
    input.setSelectionRange(value.length, value.length);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function move(days, months) {
    const current = popup.querySelector(".datepicker-day[tabindex='0']");
    const from = current ? parse("yyyy-MM-dd", current.dataset.day) : shown;
    const to = new Date(from.getFullYear(), from.getMonth() + months, from.getDate() + days);
    if (months && to.getDate() !== from.getDate()) to.setDate(0);   // 31 January + 1 month: 28/29 February
    shown = new Date(to.getFullYear(), to.getMonth(), 1);
    render(to);
  }

  function onPopupClick(event) {
    const target = event.target.closest("button");
    if (!target || !field) return;
    if (target.dataset.day) {
      pick(parse("yyyy-MM-dd", target.dataset.day));
    } else if (target.dataset.step) {
      shown = new Date(shown.getFullYear(), shown.getMonth() + Number(target.dataset.step), 1);
      render(null);
    }
  }

  function onPopupKey(event) {
    if (!field) return;
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [-7, 0], ArrowDown: [7, 0],
                    PageUp: [0, -1], PageDown: [0, 1] };
    if (event.key === "Escape") {
      const input = field;
      close();
      focusField(input);
    } else if (steps[event.key] && event.target.classList.contains("datepicker-day")) {
      move(steps[event.key][0], steps[event.key][1]);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  document.addEventListener("focusin", function (event) {
    const target = event.target;
    if (target.matches && target.matches(FIELD)) {
      if (!keepClosed) open(target);
    } else if (field && !(popup && popup.contains(target))) {
      close();
    }
  });

  document.addEventListener("mousedown", function (event) {
    if (!field) return;
    const target = event.target;
    if (target !== field && !popup.contains(target)) close();
  });

  document.addEventListener("click", function (event) {
    const target = event.target;
    if (target.matches && target.matches(FIELD) && field !== target) open(target);
  });

  document.addEventListener("keydown", function (event) {
    const target = event.target;
    if (!(target.matches && target.matches(FIELD))) return;
    if (event.key === "Escape" && field === target) {
      close();
      event.preventDefault();
    } else if (event.key === "ArrowDown" && !event.altKey) {
      open(target);
      const day = popup.querySelector(".datepicker-day[tabindex='0']");
      if (day) day.focus();
      event.preventDefault();
    }
  });

  // The person types: the grid would only hide what lies below the field.
  document.addEventListener("input", function (event) {
    if (field && event.target === field) close();
  });

  window.addEventListener("resize", close);
  document.querySelectorAll(FIELD).forEach(function (input) {
    input.setAttribute("aria-haspopup", "dialog");
    input.setAttribute("aria-expanded", "false");
  });
})();
