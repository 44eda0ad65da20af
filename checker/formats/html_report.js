// Draws findings.html from its packed data (see checker/formats/html.py): #report-data holds the
// report, the findings as columns and the views; #evidence-N the evidence of the findings
// N*chunk .. (N+1)*chunk-1, unpacked when a reader opens one of them. Every value from the
// report is set as text or as an inert attribute; links are made only for http(s) URLs. The
// order of statuses and every aggregate come from the data.
(function () {
  'use strict';
  // Rows of a long table drawn at first and per "Show more": at organization scale drawing
  // 500 findings took twice as long as drawing everything else.
  const PAGE_SIZE = 100;
  const app = document.getElementById('app');
  let data = null;
  let report = null;
  let STATUSES = [];
  let SEVERITIES = [];
  let showFindings = null;  // set by findings(): (filter values) => void

  // base64 -> inflate (zlib) -> JSON, with the browser's own DecompressionStream.
  function unpack(id) {
    const text = document.getElementById(id).textContent;
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Response(stream).text().then(JSON.parse);
  }

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
  function thousands(count) { return Number(count).toLocaleString('en-US'); }
  function num(count) { return el('td', count ? 'num' : 'num zero', [thousands(count)]); }
  function row(cells) { return el('tr', '', cells.map((c) => (c instanceof HTMLTableCellElement ? c : td(c)))); }
  function table(headers, rows, cls) {
    const head = el('tr', '', headers.map((h) => el('th', STATUSES.includes(h) ? 'num' : '', [h])));
    return el('div', 'scroll', [el('table', cls, [el('thead', '', [head]), el('tbody', '', rows)])]);
  }
  // Rows of many items appended to a table's body PAGE_SIZE at a time, behind a "Show more" button.
  function paged(tableNode, items, makeRow) {
    const body = tableNode.tBodies[0];
    const more = el('button', '', []);
    more.type = 'button';
    let drawn = 0;
    function drawMore() {
      items.slice(drawn, drawn + PAGE_SIZE).forEach((item) => body.appendChild(makeRow(item)));
      drawn = Math.min(items.length, drawn + PAGE_SIZE);
      more.hidden = drawn >= items.length;
      more.textContent = 'Show ' + Math.min(items.length - drawn, PAGE_SIZE) + ' more of ' + (items.length - drawn);
    }
    more.addEventListener('click', drawMore);
    drawMore();
    return more;
  }
  function pagedTable(headers, items, makeRow, cls) {
    const wrapper = table(headers, [], cls);
    return el('div', '', [wrapper, paged(wrapper.firstChild, items, makeRow)]);
  }
  function section(id, title, children) {
    const node = el('section', '', [el('h2', '', [title])].concat(children));
    node.id = id;
    return node;
  }
  function card(count, label, colour) {
    return el('div', 'card k-' + colour, [el('div', 'n', [thousands(count)]), el('div', 'l', [label])]);
  }
  function legends() { return el('div', 'legends', STATUSES.map((s) => el('span', 'legend k-' + s, [s]))); }
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
  function countsText(counts) { return STATUSES.filter((s) => counts[s]).map((s) => counts[s] + ' ' + s).join(', '); }
  function location(where) { return where ? where.file + ':' + where.line : null; }
  // Clicking a cell of a matrix shows its findings: the row's account (and resource, when it
  // has one) and the filter its column names.
  function filterOnClick(tableNode, filterOf) {
    tableNode.addEventListener('click', (event) => {
      const cell = event.target.closest('td.cell');
      const line = cell && cell.parentNode;
      const filter = cell && filterOf(cell.cellIndex);
      if (!filter || cell.classList.contains('k-none')) { return; }
      filter.account_id = line.dataset.account || '';
      if (line.dataset.resource) { filter.q = line.dataset.resource; }
      showFindings(filter);
    });
  }

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
    return el('header', '', [el('h1', '', ['trailcheck compliance report']), list]);
  }

  function nav(sections) {
    return el('nav', '', sections.map((s) => { const a = el('a', '', [s.dataset.label]); a.href = '#' + s.id; return a; }));
  }

  function cards(counts, order, caption) {
    return el('div', 'group', [el('h3', '', [caption]),
      el('div', 'cards', order.map((key) => card(counts[key] || 0, key, key)))]);
  }

  function summary() {
    const byFramework = data.views.by_framework.map((f) => row([td(f.framework, 'nw')].concat(statusCounts(f.counts),
      [f.failing_controls.length ? f.failing_controls.join(', ') : '—'])));
    return section('summary', 'Summary', [
      el('div', 'split', [cards(report.summary.by_status, STATUSES, 'Findings by status'),
        cards(report.summary.by_severity, SEVERITIES, 'Failing and error findings by severity')]),
      el('h3', '', ['By framework']), byFramework.length
        ? table(['Framework'].concat(STATUSES, ['Failing controls']), byFramework)
        : el('p', 'muted', ['No framework references in these findings.'])]);
  }

  function matrix() {
    const view = data.views.matrix;
    const head = el('tr', '', [el('th', 'sticky', ['Account'])].concat(STATUSES.map((s) => el('th', 'num', [s])),
      [el('th', '', ['Worst failing'])], view.rules.map((id) => {
        const th = el('th', 'rule', [el('span', '', [id])]);
        th.setAttribute('title', id + ': ' + report.rules[id].title);
        return th;
      })));
    const first = 2 + STATUSES.length;
    const grid = el('table', 'grid matrix', [el('thead', '', [head]), el('tbody', '', [])]);
    const more = paged(grid, view.rows, (r) => {
      const account = dash(r.account);
      const line = el('tr', '', [td(account, 'sticky nw')].concat(statusCounts(r.counts),
        [td(r.worst_failing ? badge(r.worst_failing) : '—')], r.cells.map((c, index) => {
          if (!c) { return td('', 'cell k-none'); }
          const node = el('td', 'cell k-' + c.status, [c.status.charAt(0).toUpperCase()]);
          node.setAttribute('title', account + ' / ' + view.rules[index] + '\n' + countsText(c.counts));
          return node;
        })));
      line.dataset.account = r.account || '';
      return line;
    });
    filterOnClick(grid, (index) => (index >= first ? { rule_id: view.rules[index - first] } : null));
    return section('matrix', 'Accounts and rules', [
      el('p', 'muted', ['One row per account: its findings by status, then one cell per rule, in the colour of the ' +
        'worst status of the rule\'s findings there (F fail, E error, W waived, P pass, S skipped). Rules with ' +
        'the worst findings come first. Hover a cell for its counts; click it for its findings.']),
      legends(), el('div', 'scroll tall', [grid]), more]);
  }

  function coverage() {
    const grid = data.views.coverage;
    if (!grid.cells.length) {
      return section('coverage', 'Coverage by account and region',
        [el('p', 'muted', ['No region-scope findings in this report.'])]);
    }
    const cells = {};
    grid.cells.forEach((c) => { cells[c.account + '\u0000' + c.region] = c; });
    const head = el('tr', '', [el('th', 'sticky', ['Account'])].concat(grid.regions.map((r) => el('th', '', [r]))));
    const node = el('table', 'grid', [el('thead', '', [head]), el('tbody', '', [])]);
    const more = paged(node, grid.accounts, (account) => {
      const line = row([td(account, 'sticky nw')].concat(grid.regions.map((region) => {
        const c = cells[account + '\u0000' + region];
        if (!c) { return td('—', 'cell k-none'); }
        const cell = el('td', 'cell k-' + c.status,
          STATUSES.filter((s) => c.counts[s]).map((s) => el('span', '', [c.counts[s] + ' ' + s])));
        const tip = [account + ' / ' + region];
        Object.keys(c.rules).forEach((s) => { if (c.rules[s].length) { tip.push(s + ': ' + c.rules[s].join(', ')); } });
        cell.setAttribute('title', tip.join('\n'));
        return cell;
      })));
      line.dataset.account = account;
      return line;
    });
    filterOnClick(node, (index) => (index >= 1 ? { region: grid.regions[index - 1] } : null));
    return section('coverage', 'Coverage by account and region', [
      el('p', 'muted', ['Region-scope rules only. Each cell takes the colour of its worst status; ' +
        'hover a cell for the failing rules, click it for its findings.']),
      legends(), el('div', 'scroll tall', [node]), more]);
  }

  function monitoringCell(node, rule) {
    node.dataset.rule = rule.rule;
    return node;
  }
  function monitoring() {
    const view = data.views.monitoring;
    const cells = {};
    view.cells.forEach((c) => { cells[c.account + '\u0000' + c.rule] = c; });
    const head = el('tr', '', [el('th', 'sticky', ['Account'])].concat(view.rules.map((r) => {
      const th = el('th', 'control', [r.label]);
      th.setAttribute('title', r.rule + ': ' + r.title);
      return th;
    })));
    const node = el('table', 'grid monitoring', [el('thead', '', [head]), el('tbody', '', [])]);
    const more = paged(node, view.accounts, (account) => {
      const line = row([td(account, 'sticky nw')].concat(view.rules.map((r) => {
        const c = cells[account + '\u0000' + r.rule];
        if (!c) { return monitoringCell(td('—', 'cell k-none'), r); }
        const shown = STATUSES.filter((s) => c.counts[s]);
        const several = shown.length > 1 || c.counts[c.status] > 1;
        const cell = el('td', 'cell k-' + c.status, [c.status, several ? el('span', 'muted', [countsText(c.counts)]) : null]);
        const tip = [account + ' / ' + r.label + ' (' + r.rule + ')', c.status].concat(c.notes);
        cell.setAttribute('title', tip.join('\n'));
        return monitoringCell(cell, r);
      })));
      line.dataset.account = account;
      return line;
    });
    filterOnClick(node, (index) => (index >= 1 ? { rule_id: view.rules[index - 1].rule } : null));
    return section('monitoring', 'Monitoring: would a recorded event reach a person?', [
      el('p', 'muted', ['Monitoring rules only: each follows the alert chains of an account (trail, log group, ' +
        'metric filter, alarm, SNS topic; or EventBridge rule and target). A cell takes the colour of its worst ' +
        'status (over the Regions of a Region-scope rule); hover a cell for the events not alerted and the first ' +
        'broken link.']),
      legends(), el('div', 'scroll tall', [node]), more]);
  }

  function place(where, kind) {
    if (!where) { return td('—', 'muted'); }
    const owner = where.account_id ? ' in account ' + where.account_id : ' described by no scanned account';
    return el('td', 'res', [where.name, el('div', 'muted', [kind + owner])]);
  }
  function checkCells(cells) {
    return cells.map((c) => {
      if (!c) { return td('—', 'cell k-none'); }
      const node = el('td', 'cell k-' + c.status, [c.fact]);
      node.setAttribute('title', c.status + ': ' + c.message);
      return node;
    });
  }
  function checkHeads(checks) {
    return checks.map((c) => {
      const th = el('th', '', [c.label]);
      th.setAttribute('title', c.rule + ': ' + report.rules[c.rule].title);
      return th;
    });
  }
  function storage() {
    const view = data.views.storage;
    const parts = [el('p', 'muted', ['Per trail, the bucket, log group and KMS key its logs go to, in the account ' +
      'that owns each, and what the storage rules found there; per CloudTrail Lake event data store, its state. ' +
      'A cell takes the colour of its finding; hover it for the finding\'s message, click it for the finding.']),
    legends()];
    [['trails', 'Trail', ['Bucket', 'Log group', 'KMS key']], ['stores', 'Event data store', ['Region']]].forEach((t) => {
      const rows = view[t[0]].rows;
      const skipped = view[t[0]].all_skipped;
      if (skipped) {
        const one = skipped === 1;
        parts.push(el('p', 'muted', [skipped + ' ' + t[1].toLowerCase() + (one ? ' whose' : 's whose') +
          ' storage checks were all skipped ' + (one ? 'is' : 'are') + ' not listed: the findings say why.']));
      }
      if (!rows.length) { return; }
      const checks = view[t[0]].checks;
      const head = el('tr', '', [el('th', 'sticky', [t[1]]), el('th', '', ['Account'])].concat(
        t[2].map((h) => el('th', '', [h])), checkHeads(checks)));
      const node = el('table', 'grid storage', [el('thead', '', [head]), el('tbody', '', [])]);
      const first = 2 + t[2].length;
      const more = paged(node, rows, (r) => {
        const where = r.places ? [place(r.places.bucket, 'bucket'), place(r.places.log_group, 'group'),
          place(r.places.kms_key, 'key')] : [td(dash(r.region), 'nw')];
        const line = el('tr', '', [td(r.resource, 'sticky res'), td(dash(r.account), 'nw')].concat(
          where, checkCells(r.cells)));
        line.dataset.account = r.account || '';
        line.dataset.resource = r.resource;
        return line;
      });
      filterOnClick(node, (index) => (index >= first ? { rule_id: checks[index - first].rule } : null));
      parts.push(el('h3', '', [t[1] + 's (' + rows.length + ')']), el('div', 'scroll tall', [node]), more);
    });
    return section('storage', 'Where the logs live', parts);
  }

  function framework(view) {
    const rows = view.controls.map((c) => row([c.control, badge(c.status), c.rules.join(', ')].concat(
      statusCounts(c.counts))));
    return section('framework', 'Framework ' + view.id + ': control by control',
      [table(['Control', 'Status', 'Rules'].concat(STATUSES), rows, 'framework')]);
  }

  function changeRow(c) {
    return row([
      el('td', 'nw', [badge(c.now), c.was ? el('span', 'muted', [' was ' + c.was]) : null]),
      badge(c.severity), c.rule_id, dash(c.account_id), dash(c.region), td(dash(c.resource), 'res'), c.message]);
  }

  function baseline(diff) {
    const groups = [['new', 'New', 'fail'], ['resolved', 'Resolved', 'pass'], ['still_failing', 'Still failing', 'waived']];
    const parts = [el('p', 'muted', ['Compared with ' + diff.path + '.']),
      el('div', 'cards', groups.map((g) => card(diff[g[0]].length, g[1], g[2])))];
    const headers = ['Status', 'Severity', 'Rule', 'Account', 'Region', 'Resource', 'Message'];
    groups.forEach((g) => {
      if (diff[g[0]].length) { parts.push(el('h3', '', [g[1]]), pagedTable(headers, diff[g[0]], changeRow, 'baseline-' + g[0])); }
    });
    return section('baseline', 'Changes since baseline', parts);
  }

  function waivers(used) {
    const parts = [el('p', 'muted', ['Waiver file ' + used.path + '.'])];
    const fields = ['rule_id', 'account_id', 'region', 'resource', 'reason', 'owner', 'expires', 'source'];
    const waiverRow = (w) => row(fields.map((f) => dash(w[f])).concat([num(w.findings || 0)]));
    [['applied', 'Applied'], ['expired', 'Expired (ignored)'], ['unused', 'Unused']].forEach((g) => {
      const entries = used[g[0]];
      parts.push(el('h3', '', [g[1] + ' (' + entries.length + ')']));
      if (entries.length) {
        parts.push(pagedTable(['Rule', 'Account', 'Region', 'Resource', 'Reason', 'Owner', 'Expires', 'Source', 'Findings'],
          entries, waiverRow, 'waivers-' + g[0]));
      }
    });
    return section('waivers', 'Waivers', parts);
  }

  // The fingerprint of a finding, as checker.findings.fingerprint computes it: the first 32 hex
  // digits of the SHA-256 of rule, account, region and resource joined by U+001F (a lone
  // surrogate encodes as U+FFFD on both sides). Not embedded: 170,000 of them would be 4 MB.
  function fingerprint(rule, account, region, resource) {
    if (!window.crypto || !crypto.subtle) { return Promise.resolve('(needs a secure context: open the file directly)'); }
    const key = [rule, account || '', region || '', resource || ''].join('\u001f');
    return crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)).then((digest) =>
      Array.from(new Uint8Array(digest).slice(0, 16)).map((b) => b.toString(16).padStart(2, '0')).join(''));
  }

  const evidenceChunks = {};
  function evidenceOf(index) {
    const number = Math.floor(index / data.evidence_chunk);
    if (!evidenceChunks[number]) { evidenceChunks[number] = unpack('evidence-' + number); }
    return evidenceChunks[number].then((chunk) => chunk[index % data.evidence_chunk]);
  }

  function findings() {
    const table = data.findings;
    const values = table.values;
    const columns = table.columns;
    const count = table.count;
    const get = (name, i) => values[columns[name][i]];
    const lowered = values.map((v) => (typeof v === 'string' ? v.toLowerCase() : (v && v.file ? location(v).toLowerCase() : '')));
    const searched = ['rule_id', 'account_id', 'region', 'resource', 'message', 'location'];

    const filters = el('form', '', []);
    filters.id = 'filters';
    [['status', STATUSES], ['severity', SEVERITIES]].forEach((group) => {
      const counts = {};
      columns[group[0]].forEach((v) => { counts[values[v]] = (counts[values[v]] || 0) + 1; });
      add(filters, el('fieldset', '', [el('legend', '', [group[0]])].concat(group[1].map((value) => {
        const box = el('input', '', []);
        box.type = 'checkbox';
        box.name = group[0];
        box.value = value;
        box.defaultChecked = true;
        return el('label', '', [box, ' ', badge(value), ' ', el('span', 'muted', [counts[value] || 0])]);
      }))));
    });
    [['rule_id', 'rule'], ['account_id', 'account'], ['region', 'region']].forEach((pick) => {
      const select = el('select', '', [el('option', '', ['all'])]);
      select.name = pick[0];
      select.options[0].value = '';
      Array.from(new Set(columns[pick[0]])).map((v) => values[v]).filter((v) => v).sort().forEach((value) => {
        const option = el('option', '', [value]);
        option.value = value;
        add(select, option);
      });
      add(filters, el('fieldset', '', [el('legend', '', [pick[1]]), select]));
    });
    const search = el('input', '', []);
    search.type = 'search';
    search.name = 'q';
    search.placeholder = 'rule, account, resource, message, file…';
    add(filters, el('fieldset', '', [el('legend', '', ['search']), search]));
    const shown = el('span', '', []);
    shown.id = 'shown';
    const matched = el('span', '', []);
    add(filters, el('p', 'muted', [shown, ' shown of ', matched, ' matching, ' + thousands(count) + ' in all']));

    const body = el('tbody', '', []);
    const headers = ['Status', 'Severity', 'Rule', 'Account', 'Region', 'Resource', 'Message', 'Details'];
    const grid = el('table', '', [el('thead', '', [el('tr', '', headers.map((h) => el('th', '', [h])))]), body]);
    grid.id = 'findings-table';
    const more = el('button', '', []);
    more.type = 'button';
    let matching = [];
    let drawn = 0;

    function details(i) {
      const box = el('details', '', [el('summary', '', ['evidence'])]);
      box.addEventListener('toggle', () => {
        if (box.childNodes.length > 1) { return; }
        const rule = report.rules[get('rule_id', i)];
        const where = location(get('location', i));
        const print = el('code', '', ['…']);
        const shownEvidence = el('pre', '', ['loading…']);
        add(box, el('p', '', [el('b', '', ['Remediation: ']), dash(rule.remediation)]));
        add(box, el('p', '', [el('b', '', ['Frameworks: ']), frameworkRefs(rule.frameworks).join(', ') || '—']));
        add(box, el('p', '', [el('b', '', ['References: ']), links(rule.references)]));
        if (where) { add(box, el('p', '', [el('b', '', ['Location: ']), where])); }
        add(box, el('p', '', [el('b', '', ['Fingerprint: ']), print]));
        add(box, shownEvidence);
        fingerprint(get('rule_id', i), get('account_id', i), get('region', i), get('resource', i))
          .then((text) => { print.textContent = text; });
        evidenceOf(i).then((evidence) => { shownEvidence.textContent = JSON.stringify(evidence, null, 2); })
          .catch((error) => { shownEvidence.textContent = 'the evidence could not be unpacked: ' + error; });
      });
      return box;
    }
    function findingRow(i) {
      const ruleId = get('rule_id', i);
      const where = location(get('location', i));
      const node = row([badge(get('status', i)), badge(get('severity', i)),
        el('td', '', [el('code', '', [ruleId]), el('div', 'muted', [report.rules[ruleId].title])]),
        td(dash(get('account_id', i)), 'nw'), td(dash(get('region', i)), 'nw'),
        el('td', 'res', [dash(get('resource', i)), where ? el('div', 'muted loc', [where]) : null]),
        get('message', i), td(details(i))]);
      node.dataset.status = get('status', i);
      node.dataset.severity = get('severity', i);
      return node;
    }
    function drawMore() {
      const next = matching.slice(drawn, drawn + PAGE_SIZE);
      next.forEach((i) => body.appendChild(findingRow(i)));
      drawn += next.length;
      shown.textContent = thousands(drawn);
      matched.textContent = thousands(matching.length);
      const left = matching.length - drawn;
      more.hidden = left <= 0;
      more.textContent = 'Show ' + Math.min(left, PAGE_SIZE) + ' more of ' + left + ' matching';
    }
    // A filter is decided once per distinct value, then each finding is a few lookups.
    function allowed(test) { return values.map(test); }
    function apply() {
      const form = filters.elements;
      const boxes = {};
      filters.querySelectorAll('input[type=checkbox]').forEach((box) => { boxes[box.name + ':' + box.value] = box.checked; });
      const tests = [
        ['status', allowed((v) => boxes['status:' + v] !== false)],
        ['severity', allowed((v) => boxes['severity:' + v] !== false)]];
      ['rule_id', 'account_id', 'region'].forEach((name) => {
        const wanted = form.namedItem(name).value;
        if (wanted) { tests.push([name, allowed((v) => v === wanted)]); }
      });
      const text = search.value.toLowerCase();
      const hit = text ? lowered.map((v) => v.includes(text)) : null;
      matching = [];
      for (let i = 0; i < count; i += 1) {
        if (tests.every((t) => t[1][columns[t[0]][i]]) && (!hit || searched.some((name) => hit[columns[name][i]]))) {
          matching.push(i);
        }
      }
      body.textContent = '';
      drawn = 0;
      drawMore();
    }
    showFindings = (filter) => {
      filters.reset();
      Object.keys(filter).forEach((name) => { filters.elements.namedItem(name).value = filter[name]; });
      apply();
      document.getElementById('findings').scrollIntoView();
    };
    filters.addEventListener('input', apply);
    filters.addEventListener('change', apply);
    filters.addEventListener('submit', (event) => event.preventDefault());
    more.addEventListener('click', drawMore);
    apply();
    return section('findings', 'Findings (' + thousands(count) + ')', [filters, el('div', 'scroll', [grid]), more]);
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

  function labelled(node, label) {
    node.dataset.label = label;
    return node;
  }

  function draw(unpacked) {
    data = unpacked;
    report = data.report;
    STATUSES = data.statuses;
    SEVERITIES = data.severities;
    document.title = 'trailcheck report ' + report.generated_at;
    const parts = [labelled(summary(), 'Summary'), labelled(matrix(), 'Accounts'), labelled(coverage(), 'Coverage')];
    if (data.views.monitoring.cells.length) { parts.push(labelled(monitoring(), 'Monitoring')); }
    if (['trails', 'stores'].some((t) => data.views.storage[t].rows.length || data.views.storage[t].all_skipped)) {
      parts.push(labelled(storage(), 'Storage'));
    }
    if (report.framework) { parts.push(labelled(framework(report.framework), 'Framework')); }
    if (report.baseline) { parts.push(labelled(baseline(report.baseline), 'Baseline')); }
    if (report.waivers) { parts.push(labelled(waivers(report.waivers), 'Waivers')); }
    parts.push(labelled(findings(), 'Findings'), labelled(rules(), 'Rules'));
    app.textContent = '';
    app.appendChild(header());
    app.appendChild(nav(parts));
    app.appendChild(el('main', '', parts));
  }

  app.textContent = 'Unpacking the report…';
  unpack('report-data').then(draw).catch((error) => {
    app.textContent = '';
    app.appendChild(el('p', 'problem', ['This browser could not unpack the report (it needs DecompressionStream: ' +
      'Chrome 80, Firefox 113, Safari 16.4 or later): ' + error + '. Read findings.json instead.']));
  });
})();
