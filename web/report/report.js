// web/report/report.js — draws the day report from the data vqctl embedded in the page
// (script#vq-report-data; its shape: tools/vqctl/report.h) with Chart.js, inlined beside
// it. No network, no clock: every figure and every time label comes from the data.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('vq-report-data').textContent);
  const root = document.getElementById('report');
  const tiers = data.tiers.map((t) => t.id);
  const tierName = Object.fromEntries(data.tiers.map((t) => [t.id, t.name]));
  const palette = ['#7a8599', '#4f86d9', '#d9a400', '#7f4fc9', '#2f9e6e', '#c9504f', '#3fb0c9', '#a86f2f'];
  const cats = [['redeemed', 'Redeemed'], ['no_show', 'No-show'], ['cancelled', 'Cancelled'], ['pending', 'Pending']];

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) e.append(k);
    return e;
  }
  function table(head, rows, numeric) {
    if (!rows.length) return el('p', { class: 'empty' }, 'None.');
    const t = el('table');
    t.append(el('tr', {}, ...head.map((h, i) => el('th', numeric.includes(i) ? { class: 'n' } : {}, h))));
    for (const r of rows)
      t.append(el('tr', {}, ...r.map((c, i) => el('td', numeric.includes(i) ? { class: 'n' } : {}, String(c)))));
    return t;
  }
  function chart(cls, config) {
    const box = el('div', { class: 'chart ' + (cls || '') });
    const canvas = el('canvas');
    box.append(canvas);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    queue.push(() => new Chart(canvas, config));
    return box;
  }
  const queue = [];
  const g = (p) => p[1]; // guests of a [tickets, guests] pair

  root.append(el('h1', {}, data.site.name + ' — day report'),
    el('p', { class: 'sub' }, data.date + ' (' + data.site.timezone + '), figures as of ' + data.as_of_label +
      (data.as_of >= data.until ? ' (end of day)' : '') + '.'),
    el('p', { class: 'def' }, 'Every figure is tickets and guests (party sizes) of the day\u2019s return tickets, by the slot they were for. ' +
      'Issued = redeemed + no-show + cancelled + pending. A no-show is an unused ticket whose admission interval (window plus late grace) ' +
      'had ended; pending ones had not yet.'));

  // site summary
  const sum = data.attractions.map((a) => [a.name, ...['issued', 'redeemed', 'no_show', 'cancelled', 'pending'].map((k) => a.totals[k][0] + ' / ' + g(a.totals[k])), a.totals.offline[0]]);
  root.append(el('h2', {}, 'All attractions'),
    table(['Attraction', 'Issued', 'Redeemed', 'No-show', 'Cancelled', 'Pending', 'Offline admissions'], sum, [1, 2, 3, 4, 5, 6]),
    el('p', { class: 'def' }, 'tickets / guests'));
  root.append(chart('', {
    type: 'bar',
    data: {
      labels: data.attractions.map((a) => a.name),
      datasets: cats.map(([k, label], i) => ({ label, data: data.attractions.map((a) => g(a.totals[k])), backgroundColor: ['#2f9e6e', '#c9504f', '#9aa3b2', '#d9a400'][i] })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'guests' } } } },
  }));

  // sell-outs across the site
  const soldRows = [];
  for (const a of data.attractions) for (const s of a.sold_out) soldRows.push([a.name, tierName[s.tier], s.at_label]);
  root.append(el('h2', {}, 'Sold out'), el('p', { class: 'def' }, 'The first moment each tier could get no return time left today for a party of one.'),
    table(['Attraction', 'Tier', 'Sold out at'], soldRows, []));
  if (soldRows.length) {
    const hours = (t) => (t - data.from) / 3600;
    root.append(chart('small', {
      type: 'bar',
      data: {
        labels: data.attractions.map((a) => a.name),
        datasets: tiers.map((t, i) => ({
          label: tierName[t], backgroundColor: palette[i % palette.length],
          // a short floating bar at the moment itself
          data: data.attractions.map((a) => { const s = a.sold_out.find((x) => x.tier === t); return s ? [hours(s.at) - 0.08, hours(s.at) + 0.08] : null; }),
        })),
      },
      options: { indexAxis: 'y', scales: { x: { min: 0, max: 24, title: { display: true, text: 'hour of the day' } } } },
    }));
  }

  for (const a of data.attractions) {
    const sec = el('section');
    sec.append(el('h2', {}, a.name));
    const kp = el('div', { class: 'kpis' });
    for (const [k, label] of [['issued', 'issued'], ...cats]) kp.append(el('div', { class: 'kpi' }, el('b', {}, String(g(a.totals[k]))), el('span', {}, label + ' guests (' + a.totals[k][0] + ' tickets)')));
    sec.append(kp);
    sec.append(el('h3', {}, 'Per slot: issued, redeemed and no-shows by tier (guests), against capacity'));
    const ds = [];
    [['issued', 'issued'], ['redeemed', 'redeemed'], ['no_show', 'no-show']].forEach(([k, label], j) => {
      tiers.forEach((t, i) => ds.push({
        label: tierName[t] + ' ' + label, stack: k, backgroundColor: palette[i % palette.length] + ['ff', 'b0', '60'][j],
        data: a.slots.map((s) => g(s.tiers[i][k])),
      }));
    });
    ds.push({ type: 'line', label: 'capacity', data: a.slots.map((s) => s.cap), borderColor: '#1d2330', borderWidth: 1.5, pointRadius: 0, stepped: 'middle' });
    sec.append(chart('', { type: 'bar', data: { labels: a.slots.map((s) => s.start_label), datasets: ds },
      options: { plugins: { legend: { labels: { boxWidth: 12 } } }, scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: 'guests' } } } } }));
    sec.append(el('h3', {}, 'Per tier'),
      table(['Tier', 'Issued', 'Redeemed', 'No-show', 'Cancelled', 'Pending'],
        a.by_tier.map((t) => [tierName[t.tier], ...['issued', 'redeemed', 'no_show', 'cancelled', 'pending'].map((k) => t[k][0] + ' / ' + g(t[k]))]), [1, 2, 3, 4, 5]));
    sec.append(el('h3', {}, 'Closures'),
      table(['Closed', 'by', 'Reopened', 'by', 'Tickets made any-time passes'],
        a.closures.map((c) => [c.closed_at_label, c.closed_by, c.reopened_at ? c.reopened_at_label : 'not reopened', c.reopened_by || '', c.converted[0] + ' (' + g(c.converted) + ' guests)']), [4]));
    sec.append(el('h3', {}, 'Offline admissions'),
      table(['Gate', 'Tickets', 'Guests'], a.offline.map((o) => [o.gate, o.admitted[0], g(o.admitted)]), [1, 2]));
    root.append(sec);
  }

  // gates and staff
  const gates = {};
  for (const a of data.attractions) for (const o of a.offline) gates[o.gate] = (gates[o.gate] || 0) + o.admitted[0];
  const conflictsBy = {};
  for (const c of data.conflicts) conflictsBy[c.gate] = (conflictsBy[c.gate] || 0) + 1;
  const gateNames = [...new Set([...Object.keys(gates), ...Object.keys(conflictsBy)])].sort();
  root.append(el('h2', {}, 'Offline admissions and conflicts'),
    el('p', { class: 'def' }, 'Tickets gates admitted while they could not reach vqd, and tickets two gates both admitted offline (conflicts).'));
  if (gateNames.length)
    root.append(chart('small', { type: 'bar', data: { labels: gateNames, datasets: [
      { label: 'offline admissions (tickets)', data: gateNames.map((n) => gates[n] || 0), backgroundColor: '#4f86d9' },
      { label: 'conflicts', data: gateNames.map((n) => conflictsBy[n] || 0), backgroundColor: '#c9504f' }] } }));
  root.append(el('h3', {}, 'Conflicts'),
    table(['Synced', 'Gate', 'Attraction', 'Ticket', 'Admitted there', 'First admitted by', 'at'],
      data.conflicts.map((c) => [c.at_label, c.gate, c.attraction, c.ticket, c.admitted_at_label || '', c.first_gate, c.first_at_label || '']), [3]));
  root.append(el('h2', {}, 'Overrides'),
    table(['At', 'Gate', 'Attraction', 'Ticket', 'Reason'], data.overrides.map((o) => [o.at_label, o.gate, o.attraction || '', o.ticket || '', o.reason || '']), []));
  root.append(el('h2', {}, 'Audit log'),
    table(['At', 'Who', 'What', 'Detail'], data.audit.map((e) => [e.at_label, e.actor, e.action, e.detail ? JSON.stringify(e.detail) : '']), []));
  root.append(el('p', { class: 'def' }, 'Made by vqctl report at ' + data.generated_label + ' from the site\u2019s database.'));

  for (const draw of queue) draw();
  document.body.dataset.ready = '1';
})();
