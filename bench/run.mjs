#!/usr/bin/env node
// `npm run bench`: starts the bench Worker (bench/worker: the coordinator of src/index.ts with
// measurement hooks) in local workerd through wrangler's own API, the way `wrangler dev` runs it,
// from a copy of the code taken at the start, with fresh storage in a temporary directory; asks it to run each benchmark section
// (GET /__bench/<section>, one at a time); prints a table and writes bench/results/latest.json
// (and bench/results/<name>.json with `--save <name>`).
//
//   npm run bench                       every section
//   npm run bench -- hot_path admin_burst   only these sections
//   npm run bench -- --strict           exit 1 when a target of issue 8 is missed
//   BENCH_LOG_LEVEL=debug npm run bench  wrangler's and the Worker's own logs
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SECTIONS = ['hot_path', 'failure_counting', 'report_throughput', 'report_batching', 'admin_to_kv', 'admin_burst', 'storage_growth', 'read_path', 'admin_list', 'experiments', 'change_channel'];

const args = process.argv.slice(2);
const strict = takeFlag('--strict');
const saveAs = takeOption('--save');
const selected = args.length ? args : SECTIONS;
const unknown = selected.filter((s) => !SECTIONS.includes(s));
if (unknown.length) {
  process.stderr.write(`unknown section(s): ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}\n`);
  process.exit(2);
}

function takeFlag(name) {
  const i = args.indexOf(name);
  if (i < 0) return false;
  args.splice(i, 1);
  return true;
}
function takeOption(name) {
  const i = args.indexOf(name);
  if (i < 0) return null;
  const [, value] = args.splice(i, 2);
  return value ?? null;
}

function version(pkg) {
  try {
    return JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function machine() {
  let workerd = null;
  try {
    workerd = execFileSync(join(root, 'node_modules', '.bin', 'workerd'), ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    /* not installed */
  }
  const git = (...command) => {
    try {
      return execFileSync('git', command, { cwd: root, encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  const cpus = os.cpus();
  return {
    commit: git('rev-parse', '--short', 'HEAD'),
    uncommitted_changes: (git('status', '--porcelain', '--', 'src', 'migrations') ?? '').split('\n').filter(Boolean).length,
    cores: cpus.length,
    cpu: cpus[0]?.model?.trim() ?? null,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    workerd,
    wrangler: version('wrangler'),
    load_average_at_start: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/**
 * Copies the code under test (src/, migrations/, bench/worker/ and the test/support/ it builds on)
 * into `dir`, so the run measures the code as it was when it started: an edit saved in the working
 * tree meanwhile would otherwise make wrangler rebuild and reload the Worker mid-section.
 */
function snapshot(dir) {
  for (const part of ['src', 'migrations', join('bench', 'worker'), join('test', 'support')]) {
    cpSync(join(root, part), join(dir, part), { recursive: true, filter: (from) => !from.includes(`${join('bench', 'worker', '.wrangler')}`) });
  }
  for (const file of ['package.json', 'tsconfig.json']) cpSync(join(root, file), join(dir, file));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

const SECTION_TIMEOUT_MS = 5 * 60_000;

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runSections() {
  const { unstable_startWorker } = await import('wrangler');
  const state = mkdtempSync(join(os.tmpdir(), 'flag-coordinator-bench-'));
  snapshot(join(state, 'code'));
  const worker = await unstable_startWorker({
    config: join(state, 'code', 'bench', 'worker', 'wrangler.toml'),
    sendMetrics: false,
    dev: {
      persist: join(state, 'storage'),
      // A registry of its own: other `wrangler dev` sessions on this machine cannot trigger reloads mid-run.
      registry: join(state, 'registry'),
      inspector: false,
      server: { hostname: '127.0.0.1', port: 0 },
      logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
      watch: false,
      liveReload: false,
    },
  });
  const results = {};
  const errors = {};
  try {
    await withTimeout(worker.ready, 120_000, 'the bench Worker did not start');
    for (const section of selected) {
      process.stderr.write(`  running ${section} ...`);
      const started = Date.now();
      let response;
      try {
        response = await withTimeout(worker.fetch(`http://bench.local/__bench/${section}`), SECTION_TIMEOUT_MS, `no answer in ${SECTION_TIMEOUT_MS / 1000} s`);
      } catch (error) {
        errors[section] = String(error instanceof Error ? error.message : error);
        process.stderr.write(` FAILED\n${errors[section]}\n`);
        break; // the Worker is in an unknown state: stop here
      }
      const body = await response.json().catch(async () => ({ error: `not JSON (${response.status})` }));
      if (response.ok && !body.error) {
        results[section] = body;
        process.stderr.write(` ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      } else {
        errors[section] = body.error ?? `HTTP ${response.status}`;
        process.stderr.write(` FAILED\n${errors[section]}\n`);
      }
    }
  } finally {
    await worker.dispose();
    rmSync(state, { recursive: true, force: true });
  }
  return { results, errors };
}

// ------------------------------------------------------------------------------------------ table

const fmt = (value, digits = 0) => {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value !== 'number') return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
};
const mark = (ok) => (ok === null ? '' : ok ? 'PASS' : 'MISS');

/** Rows: [section, measure, flag-coordinator, article baseline, target, met]. */
function summarise(results) {
  const rows = [];
  const targets = [];
  const target = (name, ok, detail) => {
    targets.push({ target: name, met: ok, detail });
    return mark(ok);
  };
  const section = (label) => {
    let first = true;
    return (...cells) => {
      rows.push([first ? label : '', ...cells]);
      first = false;
    };
  };

  const hp = results.hot_path;
  if (hp) {
    const row = section('1 hot path');
    const r = hp.per_request_us;
    row('µs per request checking 10 flags (new user each request)', fmt(r.sdk, 1), fmt(r.article, 1), '', '');
    row('µs per request, returning users (bucket cache hits)', fmt(r.sdk_returning, 1), '', '', '');
    row('µs per request, cache expired (1 KV read + 10 checks)', fmt(r.sdk_refresh, 1), '', '', '');
    row('evaluations/s, one request at a time', fmt(hp.evaluations_per_second.sdk), fmt(hp.evaluations_per_second.article), '', '');
    row('evaluations/s, article with 50 requests in flight', '', fmt(hp.evaluations_per_second.article_50_in_flight), '', '');
    row('KV reads per request', fmt(hp.kv_reads_per_request.sdk, 5), fmt(hp.kv_reads_per_request.article), '', '');
    row(
      'speed-up per request (article ÷ SDK), new users',
      `${fmt(hp.ratio_vs_article.sdk, 1)}×`,
      '1×',
      '≥ 50×',
      target('1. SDK ≥ 50× the article per request', hp.ratio_vs_article.sdk >= 50, `${hp.ratio_vs_article.sdk}× (new users), ${hp.ratio_vs_article.sdk_returning}× (returning)`),
    );
    row('speed-up per request, returning users', `${fmt(hp.ratio_vs_article.sdk_returning, 1)}×`, '1×', '', '');
    const sp = hp.sync_path_us;
    if (sp) {
      row('sync path (forRequest + 10 checks): µs per request, new user', fmt(sp.new_user_request, 1), '', '', '');
      row('sync path: µs per request, returning user', fmt(sp.returning_user_request, 1), '', '', '');
      if (sp.experiment_new_user_request !== undefined) {
        row('sync path, new user, 10 flags with running experiments (µs)', fmt(sp.experiment_new_user_request, 1), '', '', '');
        row('  … ÷ the same request without experiments (median of pairs)', `${fmt(sp.experiment_over_plain, 2)}×`, '', '', '');
      }
      row('hashing floor: 10 SHA-256 bucket hashes (µs), same run', fmt(sp.hash_floor_10_digests, 1), '', '', '');
      row(
        'sync path, new user ÷ hashing floor',
        `${fmt(sp.new_user_over_floor, 2)}×`,
        '',
        '≤ 1.2×',
        target('14. new user\'s 10-flag request ≤ 1.2× the hashing floor', sp.new_user_over_floor <= 1.2, `${sp.new_user_over_floor}×`),
      );
      row(
        'sync path: µs per cached check',
        fmt(sp.cached_check, 3),
        '',
        '≤ 0.3',
        target('14. a cached check ≤ 0.3 µs', sp.cached_check <= 0.3, `${sp.cached_check} µs`),
      );
    }
    row('one SHA-256 (µs): ours (sync) vs WebCrypto (async)', fmt(hp.sha256_us.own_sync, 2), fmt(hp.sha256_us.webcrypto_async, 2), '', '');
    row('  … @noble/hashes (sync), which bucketing used before', fmt(hp.sha256_us.noble_sync, 2), '', '', '');
    row('same answers (flag × user checks)', hp.answers_agree, hp.answers_agree, '', '');
  }

  const fc = results.failure_counting;
  if (fc) {
    const row = section('2 failure counting');
    for (const arrival of ['burst', 'spread']) {
      for (const n of [...new Set(fc.scenarios.map((s) => s.n))]) {
        const a = fc.scenarios.find((s) => s.impl === 'article' && s.arrival === arrival && s.n === n);
        const d = fc.scenarios.find((s) => s.impl === 'durable_object' && s.arrival === arrival && s.n === n);
        if (!a || !d) continue;
        const label = arrival === 'burst' ? `N=${fmt(n)} at once` : `N=${fmt(n)} over ${fmt(fc.spread_ms)} ms`;
        row(`${label}: counts lost`, fmt(d.lost), fmt(a.lost), '0', '');
        row(`${label}: kills fired / Slack alerts`, `${d.kills} / ${d.alerts}`, `${a.kills} / ${a.alerts}`, '1', '');
        row(`${label}: ms from 10th report to KV flag:<id> off`, fmt(d.ms_10th_report_to_kv_off), a.ms_10th_report_to_kv_off === null ? 'never' : fmt(a.ms_10th_report_to_kv_off), '', '');
        row(`${label}: ms from tripping answer to flag:<id> / bundle off`, `${fmt(d.ms_tripping_answer_to_kv_off)} / ${fmt(d.ms_tripping_answer_to_bundle_off)}`, '', '', '');
      }
    }
    const objects = fc.scenarios.filter((s) => s.impl === 'durable_object');
    const exact = objects.every((s) => s.lost === 0 && s.kills === 1 && s.tripped_answers === 1 && s.alerts === 1);
    row('Durable Object: none lost, one kill, one alert, every scenario', fmt(exact), '', 'always', target('2. zero lost, exactly one kill (Durable Object)', exact, `${objects.length} scenarios`));
  }

  const tp = results.report_throughput;
  const rb = results.report_batching;
  if (tp || rb) {
    const row = section('3 report throughput');
    if (tp) {
      for (const run of tp.runs) row(`unbatched, ${run.scenario}: reports/s (p50 / p99 ms)`, `${fmt(run.reports_per_second)} (${fmt(run.latency_ms.p50, 1)} / ${fmt(run.latency_ms.p99, 1)})`, '', '', '');
      if (tp.object_only) row('inside the object, no caller hop: reports/s', fmt(tp.object_only.reports_per_second), '', '', '');
      const best = Math.max(...tp.runs.filter((r) => r.scenario.startsWith('RPC')).map((r) => r.reports_per_second));
      row('best unbatched RPC rate', fmt(best), '', '≥ 1,000/s', target('3a. ≥ 1,000 unbatched reports/s into one object (local)', best >= 1000, `${best}/s`));
    }
    if (rb) {
      const ok = rb.calls_total < 100 && rb.failures_counted_by_object === rb.requests;
      row(`SDK batching: ${fmt(rb.requests)} failing requests → calls (report + usage)`, `${fmt(rb.calls_total)} (${rb.report_calls} + ${rb.usage_calls})`, `${fmt(rb.requests)} (one per failure)`, '< 100', target('3b. 10,000 failing requests in < 100 calls', ok, `${rb.calls_total} calls, ${rb.failures_counted_by_object} counted`));
      row('failures counted by the object', fmt(rb.failures_counted_by_object), '', fmt(rb.requests), '');
    }
  }

  const ak = results.admin_to_kv;
  const ab = results.admin_burst;
  if (ak || ab) {
    const row = section('4 admin → KV');
    if (ak) {
      row('change → readable in flag:<id>, p50 / p99 ms (isolated)', `${fmt(ak.isolated.flag_key_ms.p50)} / ${fmt(ak.isolated.flag_key_ms.p99)}`, '', '', '');
      row('change → readable in flags:bundle, p50 / p99 ms (isolated)', `${fmt(ak.isolated.bundle_ms.p50)} / ${fmt(ak.isolated.bundle_ms.p99)}`, '', '', '');
      row(`change → flag:<id>, p50 / p99 ms (stream of ${ak.stream.changes} over ${ak.stream.flags} flags)`, `${fmt(ak.stream.flag_key_ms.p50)} / ${fmt(ak.stream.flag_key_ms.p99)}`, '', '', '');
      row('admin API answer, p50 / p99 ms', `${fmt(ak.stream.admin_response_ms.p50)} / ${fmt(ak.stream.admin_response_ms.p99)}`, '', '', '');
    }
    if (ab) {
      const d = ab.durable_object;
      row(`burst of ${ab.changes} changes: KV writes to flag:<id> / bundle`, `${d.flag_key.writes} / ${d.bundle_key.writes}`, fmt(ab.article.flag_key.writes), '', '');
      row('burst: most writes to one key in any 1 s', `${d.flag_key.max_per_second} / ${d.bundle_key.max_per_second}`, fmt(ab.article.flag_key.max_per_second), '≤ 1', '');
      row('burst: shortest gap between two writes to one key, ms', `${fmt(d.flag_key.min_gap_ms)} / ${fmt(d.bundle_key.min_gap_ms)}`, fmt(ab.article.flag_key.min_gap_ms), '≥ 1,000', '');
      row('burst: ms from last answer to final version in flag:<id> / bundle', `${fmt(d.ms_last_answer_to_flag_key_final)} / ${fmt(d.ms_last_answer_to_bundle_final)}`, '', '', '');
      const ok = d.flag_key.max_per_second <= 1 && d.bundle_key.max_per_second <= 1 && d.final_state_matches;
      row('burst: final version in KV is the object\'s', `${fmt(d.final_state_matches)} (v${d.final_version_flag_key})`, fmt(ab.article.final_matches_last_change), 'yes', target('4. ≤ 1 KV write/s per key under a burst, final version correct', ok, `${d.flag_key.max_per_second}/s and ${d.bundle_key.max_per_second}/s, v${d.final_version_flag_key}`));
    }
  }

  const sg = results.storage_growth;
  if (sg) {
    const row = section('5 storage');
    for (const run of sg.runs) {
      row(`${fmt(run.failures_total)} failures in ${fmt(run.reports)} reports: bucket rows / all rows / bytes`, `${run.after_prune.window_bucket_rows} / ${run.after_prune.total_rows} / ${fmt(run.after_prune.database_bytes)}`, '', '', '');
    }
    const [a, b] = sg.runs;
    const same = a && b ? a.after_prune.window_bucket_rows === b.after_prune.window_bucket_rows && a.after_prune.database_bytes === b.after_prune.database_bytes : null;
    row('rows and bytes independent of the count', fmt(same), '', 'yes', target('5. storage follows the window, not the count', same, a ? `${a.after_prune.window_bucket_rows} bucket rows, ${a.after_prune.database_bytes} bytes` : ''));
  }

  const al = results.admin_list;
  if (al) {
    const row = section('6 admin list');
    for (const size of al.sizes) {
      const p = size.pages;
      const ms = (name) => `${fmt(p[name].ms.p50, 1)} / ${fmt(p[name].ms.p99, 1)}`;
      row(`${fmt(size.flags)} flags: default page (50), p50 / p99 ms; KB`, `${ms('default_page')}; ${fmt(p.default_page.bytes / 1024, 1)}`, '', '', '');
      row(`${fmt(size.flags)} flags: search / status filter / stale filter, p50 ms`, `${fmt(p.search.ms.p50, 1)} / ${fmt(p.filter_status.ms.p50, 1)} / ${fmt(p.filter_stale.ms.p50, 1)}`, '', '', '');
      row(`${fmt(size.flags)} flags: sort by updated_at / deep page by cursor / 500-flag page, p50 ms`, `${fmt(p.sort_updated_desc.ms.p50, 1)} / ${fmt(p.deep_page_by_cursor.ms.p50, 1)} / ${fmt(p.max_page_500.ms.p50, 1)}`, '', '', '');
    }
    const largest = al.sizes[al.sizes.length - 1];
    row(
      `slowest 50-flag page at ${fmt(largest.flags)} flags, p50 ms`,
      fmt(largest.worst_p50_ms_at_default_limit, 1),
      '',
      '≤ 50',
      target('6. every admin list page ≤ 50 ms at 10,000 flags', largest.worst_p50_ms_at_default_limit <= 50, `${largest.worst_p50_ms_at_default_limit} ms`),
    );
    row('bulk set_owner on 100 flags, ms (per flag)', `${fmt(al.bulk_set_owner_100.ms)} (${fmt(al.bulk_set_owner_100.per_flag_ms, 1)})`, '', '', '');
  }
  const rp = results.read_path;
  if (rp) {
    const row = section('7 read path');
    for (const size of rp.sizes) {
      const r = size.reader_of_10;
      const n = fmt(size.flags);
      row(`${n} flags (${fmt(size.shards)} shards${size.manifest_inlines_catalog ? ', inlined' : ''}): reader of 10, first refresh: KV reads; KB`, `${r.cold.reads}; ${fmt(r.cold.bytes / 1024, 1)}`, '', '≤ 64 KB', '');
      row(`${n} flags: reader of 10, refresh with nothing changed: KV reads; KB`, `${r.unchanged.reads}; ${fmt(r.unchanged.bytes / 1024, 1)}`, '', '', '');
      row(`${n} flags: reader of 10, CPU of a first refresh (parse + merge), p50 / max ms`, `${fmt(r.cpu_ms.p50, 2)} / ${fmt(r.cpu_ms.max, 2)}`, '', '≤ 2 ms', '');
      row(`${n} flags: creates/s over HTTP (${rp.creates_in_flight} in flight)`, fmt(size.creates_per_second, 1), '', '≥ 40/s', '');
      if (size.create_inside_objects) row(`${n} flags: one at a time, catalog upsert (with its relay push); local KV put, p50 ms`, `${fmt(size.create_inside_objects.catalog_upsert_ms, 1)}; ${fmt(size.create_inside_objects.kv_put_ms, 1)}`, '', '', '');
      row(`${n} flags: KV written for one change: keys; KB`, `${size.kv_written_per_change.keys.length}; ${fmt(size.kv_written_per_change.bytes / 1024, 1)}`, '', '', '');
      row(`${n} flags: OFREP bulk evaluation, p50 / max ms`, `${fmt(size.ofrep_bulk.ms.p50, 1)} / ${fmt(size.ofrep_bulk.ms.max, 1)}`, '', '', '');
    }
    const largest = rp.sizes[rp.sizes.length - 1];
    const r = largest.reader_of_10;
    const readerOk = r.cold.bytes <= 64 * 1024 && r.cpu_ms.p50 <= 2;
    row(`reader of 10 at ${fmt(largest.flags)} flags`, `${fmt(r.cold.bytes / 1024, 1)} KB, ${fmt(r.cpu_ms.p50, 2)} ms`, '', '≤ 64 KB, ≤ 2 ms', target('14.1 a reader of 10 flags reads ≤ 64 KB and ≤ 2 ms CPU a refresh at 10,000 flags', readerOk, `${r.cold.bytes} bytes, ${r.cpu_ms.p50} ms`));
    const slowest = Math.min(...rp.sizes.map((s) => s.creates_per_second));
    row('slowest creates/s across sizes', fmt(slowest, 1), '', '≥ 40/s', target('14.2 creates sustain ≥ 40/s up to 10,000 flags', slowest >= 40, `${slowest}/s`));
  }

  const ex = results.experiments;
  if (ex) {
    const row = section('9 experiments');
    row('metric events/s into one flag object, calls of 2,000, one at a time', fmt(ex.events.sequential.events_per_second), '', '', '');
    row('metric events/s, 8 calls in flight', fmt(ex.events.eight_in_flight.events_per_second), '', '', '');
    const r = ex.readout;
    row('read-out at 10,000 units: inside the object / HTTP route, ms', `${fmt(r.units_10k.inside_object_ms, 3)} / ${fmt(r.units_10k.http_route_ms, 2)}`, '', '', '');
    row('read-out at 1,000,000 units: inside the object / HTTP route, ms', `${fmt(r.units_1m.inside_object_ms, 3)} / ${fmt(r.units_1m.http_route_ms, 2)}`, '', '', '');
  }
  const cc = results.change_channel;
  if (cc) {
    const row = section('10 change channel');
    const k = cc.kill_to_last_stale;
    const ms = (s) => `${fmt(s.p50)} / ${fmt(s.p99)} / ${fmt(s.max)}`;
    row(`kill → last stale evaluation, ${cc.readers} readers, KV lagging ${fmt(cc.kv_only.lag_ms / 1000)} s: channel, p50 / p99 / max ms`, ms(k.channel), '', '≤ 2,000', target('13. kill → last stale evaluation ≤ 2 s for every reader on the channel', k.channel.max <= 2000, `max ${k.channel.max} ms`));
    row(`  … KV only (cache ${cc.kv_only.cache_seconds} s, simulated time), p50 / p99 / max ms`, ms(k.kv_only), '', '', '');
    row('channel requests per reader per minute (evaluating every 100 ms)', fmt(cc.channel_checks_per_reader_per_minute, 1), '', '', '');
    for (const [label, run] of [['1,000 readers on one relay, no cache', cc.at_1000_readers.one_relay_no_cache], [`1,000 readers, ${cc.at_1000_readers.configured.relays} relays, cache ${cc.at_1000_readers.configured.channel_cache_ms ?? 'default'} ms`, cc.at_1000_readers.configured]]) {
      row(`${label}: busiest relay requests/s (all relays)`, `${fmt(run.busiest_relay_requests_per_second, 1)} (${run.relay_requests_per_second.map((n) => fmt(n, 1)).join(', ')})`, '', '', '');
      row(`${label}: checks per reader per minute; answer p50 / p99 ms`, `${fmt(run.checks_per_reader_per_minute, 1)}; ${fmt(run.answer_ms.p50, 2)} / ${fmt(run.answer_ms.p99, 2)}`, '', '', '');
    }
  }
  return { rows, targets };
}

function printTable(rows) {
  const header = ['section', 'measure', 'flag-coordinator', 'article baseline', 'target', ''];
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => String(r[c] ?? '').length)));
  const line = (r) => `| ${r.map((cell, c) => String(cell ?? '').padEnd(widths[c])).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
  process.stdout.write(`${out.join('\n')}\n`);
}

// ------------------------------------------------------------------------------------------ main

const started = Date.now();
const info = machine();
process.stderr.write(`flag-coordinator bench: ${info.cores} cores, Node ${info.node}, ${info.workerd}, load ${info.load_average_at_start.join(' ')}\n`);
const { results, errors } = await runSections();
info.load_average_at_end = os.loadavg().map((l) => Math.round(l * 100) / 100);
const { rows, targets } = summarise(results);
const report = {
  generated_at: new Date(started).toISOString(),
  duration_s: Math.round((Date.now() - started) / 100) / 10,
  machine: info,
  targets,
  errors,
  results,
};
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const latest = join(root, 'bench', 'results', 'latest.json');
writeFileSync(latest, `${JSON.stringify(report, null, 2)}\n`);
const savedName = saveAs ? `${saveAs.replace(/\.json$/, '')}.json` : null;
if (savedName) writeFileSync(join(root, 'bench', 'results', savedName), `${JSON.stringify(report, null, 2)}\n`);

process.stdout.write(`\nflag-coordinator benchmarks (${report.generated_at}, ${report.duration_s} s)\n`);
process.stdout.write(`code: commit ${info.commit}${info.uncommitted_changes ? ` + ${info.uncommitted_changes} uncommitted file(s) under src/ and migrations/` : ''}\n`);
process.stdout.write(
  `machine: ${info.cores} × ${info.cpu}, ${info.memory_gib} GiB, ${info.os}; Node ${info.node}; ${info.workerd}; wrangler ${info.wrangler}; load ${info.load_average_at_start.join('/')} → ${info.load_average_at_end.join('/')}\n\n`,
);
printTable(rows);
const missed = targets.filter((t) => !t.met);
process.stdout.write(`\ntargets met: ${targets.length - missed.length}/${targets.length}${missed.length ? ` (missed: ${missed.map((t) => t.target).join('; ')})` : ''}\n`);
if (Object.keys(errors).length) process.stdout.write(`sections that failed: ${Object.keys(errors).join(', ')}\n`);
process.stdout.write(`JSON: ${latest}${savedName ? ` and bench/results/${savedName}` : ''}\n`);
process.exit(Object.keys(errors).length ? 1 : strict && missed.length ? 1 : 0);
