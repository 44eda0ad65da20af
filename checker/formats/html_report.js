// Draws findings.html from the JSON in #report-data (see checker/formats/html.py).
// Every value from the report is set as text or as an inert attribute; links are made
// only for http(s) URLs. The order of statuses and every aggregate come from the data.
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const report = data.report;
  const STATUSES = data.statuses;
  const SEVERITIES = data.severities;
  const PAGE_SIZE = 500;

  function el(tag, cls, children) {
    const node = document.createElement(tag);
    if (cls) { node.className = cls; }
    (children || []).forEach((child) => add(node, child));
    return node;
  }
  function add(node, child) {
    if (child === null || child === undefined) { return node; }
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }
  function dash(value) { return value === null || value === undefined || value === '' ? '—' : String(value); }
  function badge(value) { return el('span', 'badge k-' + value, [value]); }
  function td(content, cls) { return el('td', cls, [content]); }
  function num(count) { return el('td', count ? 'num' : 'num zero', [count]); }
  function row(cells) { return el('tr', '', cells.map((c) => (c instanceof HTMLTableCellElement ? c : td(c)))); }
  function table(headers, rows, cls) {
    const head = el('tr', '', headers.map((h) => el('th', STATUSES.includes(h) ? 'num' : '', [h])));
    return el('div', 'scroll', [el('table', cls, [el('thead', '', [head]), el('tbody', '', rows)])]);
  }
  function section(id, title, children) {
    const node = el('section', '', [el('h2', '', [title])].concat(children));
    node.id = id;
    return node;
  }
  function card(count, label, colour) {
    return el('div', 'card k-' + colour, [el('div', 'n', [count]), el('div', 'l', [label])]);
  }
  function link(url) {
    let parsed = null;
    try { parsed = new URL(url); } catch (error) { parsed = null; }
    if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) { return el('span', '', [url]); }
    const anchor = el('a', '', [url]);
    anchor.href = parsed.href;
    anchor.rel = 'noopener noreferrer';
    return anchor;
  }
  function links(urls) {
    const node = el('span', '', []);
    (urls || []).forEach((url, index) => { if (index) { add(node, ', '); } add(node, link(url)); });
    return urls && urls.length ? node : '—';
  }
  function frameworkRefs(frameworks) {
    const refs = [];
    Object.keys(frameworks || {}).sort().forEach((id) => frameworks[id].forEach((c) => refs.push(id + ':' + c)));
    return refs.sort();
  }
  function statusCounts(counts) { return STATUSES.map((s) => num(counts[s] || 0)); }

  function header() {
    const inputs = report.inputs;
    const facts = [['Generated', report.generated_at], ['trailcheck', report.tool.version]];
    if (inputs.snapshot) {
      facts.push(['Snapshot', inputs.snapshot.path], ['Collected', inputs.snapshot.collected_at],
        ['Snapshot sha256', inputs.snapshot.sha256]);
    }
    if (inputs.events) {
      facts.push(['Events read', (inputs.events.read || 0) + ' (skipped ' + (inputs.events.skipped || 0) + ')']);
      (inputs.events.sources || []).forEach((source) => facts.push(['Event source', source]));
    }
    inputs.policies.forEach((p) => facts.push(['Policy file', p.path + '  sha256 ' + p.sha256]));
    const list = el('dl', 'facts', []);
    facts.filter((fact) => fact[1]).forEach((fact) => { add(list, el('dt', '', [fact[0]])); add(list, el('dd', '', [fact[1]])); });
    document.title = 'trailcheck report ' + report.generated_at;
    return el('header', '', [el('h1', '', ['trailcheck compliance report']), list]);
  }

  function nav() {
    const targets = [['summary', 'Summary'], ['coverage', 'Coverage']];
    if (data.views.monitoring.cells.length) { targets.push(['monitoring', 'Monitoring']); }
    [['framework', 'Framework'], ['baseline', 'Baseline'], ['waivers', 'Waivers']].forEach((t) => {
      if (report[t[0]]) { targets.push(t); }
    });
    targets.push(['findings', 'Findings'], ['rules', 'Rules']);
    return el('nav', '', targets.map((t) => { const a = el('a', '', [t[1]]); a.href = '#' + t[0]; return a; }));
  }

  function cards(counts, order, caption) {
    return el('div', 'group', [el('h3', '', [caption]),
      el('div', 'cards', order.map((key) => card(counts[key] || 0, key, key)))]);
  }

  function summary() {
    const byFramework = data.views.by_framework.map((f) => row([td(f.framework, 'nw')].concat(statusCounts(f.counts),
      [f.failing_controls.length ? f.failing_controls.join(', ') : '—'])));
    const byAccount = data.views.by_account.map((a) => row([dash(a.account)].concat(statusCounts(a.counts),
      [a.worst_failing ? badge(a.worst_failing) : '—'])));
    return section('summary', 'Summary', [
      el('div', 'split', [cards(report.summary.by_status, STATUSES, 'Findings by status'),
        cards(report.summary.by_severity, SEVERITIES, 'Failing and error findings by severity')]),
      el('div', 'split', [
        el('div', 'group', [el('h3', '', ['By framework']), byFramework.length
          ? table(['Framework'].concat(STATUSES, ['Failing controls']), byFramework)
          : el('p', 'muted', ['No framework references in these findings.'])]),
        el('div', 'group', [el('h3', '', ['By account']),
          table(['Account'].concat(STATUSES, ['Worst failing']), byAccount)])])]);
  }

  function coverage() {
    const grid = data.views.coverage;
    if (!grid.cells.length) {
      return section('coverage', 'Coverage by account and region',
        [el('p', 'muted', ['No region-scope findings in this report.'])]);
    }
    const cells = {};
    grid.cells.forEach((c) => { cells[c.account + '\u0000' + c.region] = c; });
    const rows = grid.accounts.map((account) => row([account].concat(grid.regions.map((region) => {
      const c = cells[account + '\u0000' + region];
      if (!c) { return td('—', 'cell k-none'); }
      const node = el('td', 'cell k-' + c.status,
        STATUSES.filter((s) => c.counts[s]).map((s) => el('span', '', [c.counts[s] + ' ' + s])));
      const tip = [account + ' / ' + region];
      Object.keys(c.rules).forEach((s) => { if (c.rules[s].length) { tip.push(s + ': ' + c.rules[s].join(', ')); } });
      node.setAttribute('title', tip.join('\n'));
      return node;
    }))));
    return section('coverage', 'Coverage by account and region', [
      el('p', 'muted', ['Region-scope rules only. Each cell takes the colour of its worst status; ' +
        'hover a cell for the failing rules.']),
      el('div', 'legends', STATUSES.map((s) => el('span', 'legend k-' + s, [s]))),
      table(['Account'].concat(grid.regions), rows, 'grid')]);
  }

  function monitoringCell(node, rule) {
    node.dataset.rule = rule.rule;
    return node;
  }
  function monitoring() {
    const view = data.views.monitoring;
    const cells = {};
    view.cells.forEach((c) => { cells[c.account + '\u0000' + c.rule] = c; });
    const head = el('tr', '', [el('th', '', ['Account'])].concat(view.rules.map((r) => {
      const th = el('th', 'control', [r.label]);
      th.setAttribute('title', r.rule + ': ' + r.title);
      return th;
    })));
    const rows = view.accounts.map((account) => row([account].concat(view.rules.map((r) => {
      const c = cells[account + '\u0000' + r.rule];
      if (!c) { return monitoringCell(td('—', 'cell k-none'), r); }
      const shown = STATUSES.filter((s) => c.counts[s]);
      const several = shown.length > 1 || c.counts[c.status] > 1;
      const node = el('td', 'cell k-' + c.status,
        [c.status, several ? el('span', 'muted', [shown.map((s) => c.counts[s] + ' ' + s).join(', ')]) : null]);
      const tip = [account + ' / ' + r.label + ' (' + r.rule + ')', c.status].concat(c.notes);
      node.setAttribute('title', tip.join('\n'));
      return monitoringCell(node, r);
    }))));
    return section('monitoring', 'Monitoring: would a recorded event reach a person?', [
      el('p', 'muted', ['Monitoring rules only: each follows the alert chains of an account (trail, log group, ' +
        'metric filter, alarm, SNS topic; or EventBridge rule and target). A cell takes the colour of its worst ' +
        'status (over the Regions of a Region-scope rule); hover a cell for the events not alerted and the first ' +
        'broken link.']),
      el('div', 'legends', STATUSES.map((s) => el('span', 'legend k-' + s, [s]))),
      el('div', 'scroll', [el('table', 'grid monitoring', [el('thead', '', [head]), el('tbody', '', rows)])])]);
  }

  function framework(view) {
    const rows = view.controls.map((c) => row([c.control, badge(c.status), c.rules.join(', ')].concat(
      statusCounts(c.counts))));
    return section('framework', 'Framework ' + view.id + ': control by control',
      [table(['Control', 'Status', 'Rules'].concat(STATUSES), rows, 'framework')]);
  }

  function changeRows(changes) {
    return changes.map((c) => row([
      el('td', 'nw', [badge(c.now), c.was ? el('span', 'muted', [' was ' + c.was]) : null]),
      badge(c.severity), c.rule_id, dash(c.account_id), dash(c.region), td(dash(c.resource), 'res'), c.message]));
  }

  function baseline(diff) {
    const groups = [['new', 'New', 'fail'], ['resolved', 'Resolved', 'pass'], ['still_failing', 'Still failing', 'waived']];
    const parts = [el('p', 'muted', ['Compared with ' + diff.path + '.']),
      el('div', 'cards', groups.map((g) => card(diff[g[0]].length, g[1], g[2])))];
    const headers = ['Status', 'Severity', 'Rule', 'Account', 'Region', 'Resource', 'Message'];
    groups.forEach((g) => {
      if (diff[g[0]].length) { parts.push(el('h3', '', [g[1]]), table(headers, changeRows(diff[g[0]]), 'baseline-' + g[0])); }
    });
    return section('baseline', 'Changes since baseline', parts);
  }

  function waivers(used) {
    const parts = [el('p', 'muted', ['Waiver file ' + used.path + '.'])];
    const fields = ['rule_id', 'account_id', 'region', 'resource', 'reason', 'owner', 'expires', 'source'];
    [['applied', 'Applied'], ['expired', 'Expired (ignored)'], ['unused', 'Unused']].forEach((g) => {
      const entries = used[g[0]];
      parts.push(el('h3', '', [g[1] + ' (' + entries.length + ')']));
      if (entries.length) {
        const rows = entries.map((w) => row(fields.map((f) => dash(w[f])).concat([num((w.fingerprints || []).length)])));
        parts.push(table(['Rule', 'Account', 'Region', 'Resource', 'Reason', 'Owner', 'Expires', 'Source', 'Findings'],
          rows, 'waivers-' + g[0]));
      }
    });
    return section('waivers', 'Waivers', parts);
  }

  function findings() {
    const columns = {};
    data.findings.columns.forEach((name, index) => { columns[name] = index; });
    const all = data.findings.rows;
    const get = (r, name) => r[columns[name]];
    const filters = el('form', '', []);
    filters.id = 'filters';
    [['status', STATUSES], ['severity', SEVERITIES]].forEach((group) => {
      const counts = {};
      all.forEach((r) => { const v = get(r, group[0]); counts[v] = (counts[v] || 0) + 1; });
      add(filters, el('fieldset', '', [el('legend', '', [group[0]])].concat(group[1].map((value) => {
        const box = el('input', '', []);
        box.type = 'checkbox';
        box.name = group[0];
        box.value = value;
        box.checked = true;
        return el('label', '', [box, ' ', badge(value), ' ', el('span', 'muted', [counts[value] || 0])]);
      }))));
    });
    [['rule_id', 'rule'], ['account_id', 'account']].forEach((pick) => {
      const select = el('select', '', [el('option', '', ['all'])]);
      select.name = pick[0];
      select.options[0].value = '';
      Array.from(new Set(all.map((r) => get(r, pick[0])).filter((v) => v))).sort().forEach((value) => {
        const option = el('option', '', [value]);
        option.value = value;
        add(select, option);
      });
      add(filters, el('fieldset', '', [el('legend', '', [pick[1]]), select]));
    });
    const search = el('input', '', []);
    search.type = 'search';
    search.name = 'q';
    search.placeholder = 'rule, account, resource, message…';
    add(filters, el('fieldset', '', [el('legend', '', ['search']), search]));
    const shown = el('span', '', []);
    shown.id = 'shown';
    add(filters, el('p', 'muted', [shown, ' of ' + all.length + ' shown']));

    const body = el('tbody', '', []);
    const headers = ['Status', 'Severity', 'Rule', 'Account', 'Region', 'Resource', 'Message', 'Details'];
    const grid = el('table', '', [el('thead', '', [el('tr', '', headers.map((h) => el('th', '', [h])))]), body]);
    grid.id = 'findings-table';
    const more = el('button', '', []);
    more.type = 'button';
    let matching = all;
    let drawn = 0;

    function details(r) {
      const box = el('details', '', [el('summary', '', ['evidence'])]);
      box.addEventListener('toggle', () => {
        if (box.childNodes.length > 1) { return; }
        const rule = report.rules[get(r, 'rule_id')];
        const location = get(r, 'location');
        add(box, el('p', '', [el('b', '', ['Remediation: ']), dash(rule.remediation)]));
        add(box, el('p', '', [el('b', '', ['Frameworks: ']), frameworkRefs(rule.frameworks).join(', ') || '—']));
        add(box, el('p', '', [el('b', '', ['References: ']), links(rule.references)]));
        if (location) { add(box, el('p', '', [el('b', '', ['Location: ']), location.file + ':' + location.line])); }
        add(box, el('p', '', [el('b', '', ['Fingerprint: ']), el('code', '', [get(r, 'fingerprint')])]));
        add(box, el('pre', '', [JSON.stringify(get(r, 'evidence'), null, 2)]));
      });
      return box;
    }
    function findingRow(r) {
      const rule = report.rules[get(r, 'rule_id')];
      const node = row([badge(get(r, 'status')), badge(get(r, 'severity')),
        el('td', '', [el('code', '', [get(r, 'rule_id')]), el('div', 'muted', [rule.title])]),
        td(dash(get(r, 'account_id')), 'nw'), td(dash(get(r, 'region')), 'nw'), td(dash(get(r, 'resource')), 'res'),
        get(r, 'message'), td(details(r))]);
      node.dataset.status = get(r, 'status');
      node.dataset.severity = get(r, 'severity');
      return node;
    }
    function drawMore() {
      const next = matching.slice(drawn, drawn + PAGE_SIZE);
      next.forEach((r) => body.appendChild(findingRow(r)));
      drawn += next.length;
      shown.textContent = String(drawn);
      const left = matching.length - drawn;
      more.hidden = left <= 0;
      more.textContent = 'Show ' + Math.min(left, PAGE_SIZE) + ' more of ' + left + ' matching';
    }
    function apply() {
      const on = {};
      filters.querySelectorAll('input[type=checkbox]').forEach((box) => { on[box.name + ':' + box.value] = box.checked; });
      const rule = filters.elements.namedItem('rule_id').value;
      const account = filters.elements.namedItem('account_id').value;
      const text = search.value.toLowerCase();
      matching = all.filter((r) => on['status:' + get(r, 'status')] !== false &&
        on['severity:' + get(r, 'severity')] !== false &&
        (!rule || get(r, 'rule_id') === rule) && (!account || get(r, 'account_id') === account) &&
        (!text || ['rule_id', 'account_id', 'region', 'resource', 'message'].some(
          (name) => String(get(r, name) || '').toLowerCase().includes(text))));
      body.textContent = '';
      drawn = 0;
      drawMore();
    }
    filters.addEventListener('input', apply);
    filters.addEventListener('change', apply);
    filters.addEventListener('submit', (event) => event.preventDefault());
    more.addEventListener('click', drawMore);
    drawMore();
    return section('findings', 'Findings (' + all.length + ')', [filters, el('div', 'scroll', [grid]), more]);
  }

  function rules() {
    const ids = Object.keys(report.rules).sort();
    const rows = ids.map((id) => {
      const r = report.rules[id];
      return row([td(el('code', '', [id])), badge(r.severity), dash(r.scope),
        el('td', '', [r.title, r.description && r.description !== r.title ? el('div', 'muted', [r.description]) : null]),
        frameworkRefs(r.frameworks).join(', ') || '—', td(links(r.references)), dash(r.source)]);
    });
    return section('rules', 'Rules (' + ids.length + ')', [el('details', '', [
      el('summary', '', ['Show the rules in this report']),
      table(['Rule', 'Severity', 'Scope', 'Title', 'Frameworks', 'References', 'Source'], rows, 'rules')])]);
  }

  const parts = [summary(), coverage()];
  if (data.views.monitoring.cells.length) { parts.push(monitoring()); }
  if (report.framework) { parts.push(framework(report.framework)); }
  if (report.baseline) { parts.push(baseline(report.baseline)); }
  if (report.waivers) { parts.push(waivers(report.waivers)); }
  parts.push(findings(), rules());
  const app = document.getElementById('app');
  app.textContent = '';
  app.appendChild(header());
  app.appendChild(nav());
  app.appendChild(el('main', '', parts));
})();
