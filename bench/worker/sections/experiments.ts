/**
 * 9. Experiments: metric events per second into one flag object, sent as the SDK sends them (usage
 * calls of 2,000 events through the RPC entrypoint, one after another and 8 in flight); and the
 * read-out's cost at 10,000 and at 1,000,000 units (the units stored inside the object), which
 * must not grow with the units because it reads only the aggregates.
 */
import { runningExperiment, threeWayFlag } from '../../../test/support/experiment-flags';
import { api, check, coordinator, createFlag, flagStub, median, round, stamp } from '../helpers';

const VARIANTS = ['control', 'b', 'c'];
const BATCH = 2_000;

const experimentFlag = (id: string) =>
  threeWayFlag(
    id,
    runningExperiment([
      { key: 'checkout', type: 'conversion', goal: 'increase' },
      { key: 'revenue', type: 'mean', goal: 'increase' },
    ]),
  );

/** Read-out cost: `READOUTS` inside the object in one call (less an empty call), and through the HTTP route. */
const READOUTS = 2_000;
async function readoutFigures(flagId: string) {
  const stub = flagStub(flagId);
  const inside: number[] = [];
  for (let s = 0; s < 5; s++) {
    let start = await stamp();
    await stub.benchReadout(flagId, 0);
    const empty = (await stamp()) - start;
    start = await stamp();
    check((await stub.benchReadout(flagId, READOUTS)) === READOUTS, 'read-outs failed');
    inside.push(Math.max(0, (await stamp()) - start - empty) / READOUTS);
  }
  const http: number[] = [];
  for (let s = 0; s < 5; s++) {
    const start = await stamp();
    for (let i = 0; i < 40; i++) check((await api('GET', `/admin/flags/${flagId}/experiment`)).status === 200, `read-out of ${flagId}`);
    http.push(((await stamp()) - start) / 40);
  }
  return { inside_object_ms: round(median(inside), 4), http_route_ms: round(median(http), 2) };
}

export async function experiments() {
  // Events per second: 10,000 exposed units, then events for them in usage calls of 2,000.
  await createFlag(experimentFlag('ex-events'));
  const units = 10_000;
  for (let start = 0; start < units; start += BATCH) {
    const batch = Array.from({ length: BATCH }, (_, i) => ({ unit: `u${start + i}`, variant: VARIANTS[(start + i) % 3]!, at: 1_000 }));
    const answer = await coordinator.recordUsage('ex-events', { variants: {}, last_at: 1_000, units: batch } as never);
    check(answer.ok, 'units refused');
  }
  let k = 0;
  const eventBatch = () =>
    Array.from({ length: BATCH }, () => {
      const i = k++;
      return i % 2 === 0 ? { unit: `u${i % units}`, metric: 'checkout', at: 2_000 } : { unit: `u${i % units}`, metric: 'revenue', value: (i % 50) + 0.5, at: 2_000 };
    });
  const sequentialCalls = 25;
  let start = await stamp();
  for (let c = 0; c < sequentialCalls; c++) check((await coordinator.recordUsage('ex-events', { variants: {}, last_at: 2_000, events: eventBatch() } as never)).ok, 'events refused');
  const sequentialMs = (await stamp()) - start;
  const concurrentCalls = 40;
  start = await stamp();
  let issued = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (issued < concurrentCalls) {
        issued++;
        check((await coordinator.recordUsage('ex-events', { variants: {}, last_at: 2_000, events: eventBatch() } as never)).ok, 'events refused');
      }
    }),
  );
  const concurrentMs = (await stamp()) - start;

  // Read-out at 10,000 and 1,000,000 units.
  await createFlag(experimentFlag('ex-10k'));
  await createFlag(experimentFlag('ex-1m'));
  const fillStart = performance.now();
  const stored10k = await flagStub('ex-10k').benchExperimentUnits('ex-10k', 10_000, VARIANTS);
  const stored1m = await flagStub('ex-1m').benchExperimentUnits('ex-1m', 1_000_000, VARIANTS);
  const fillMs = performance.now() - fillStart;
  check(stored10k === 10_000 && stored1m === 1_000_000, `units stored: ${stored10k}, ${stored1m}`);
  const at10k = await readoutFigures('ex-10k');
  const at1m = await readoutFigures('ex-1m');
  const units1m = (await api('GET', '/admin/flags/ex-1m/experiment')).body.metrics[0].variants.reduce((n: number, v: { units: number }) => n + v.units, 0);
  check(units1m === 1_000_000, `read-out shows ${units1m} units`);

  return {
    events: {
      exposed_units: units,
      events_per_call: BATCH,
      sequential: { calls: sequentialCalls, ms: round(sequentialMs, 1), events_per_second: Math.round((sequentialCalls * BATCH * 1000) / sequentialMs) },
      eight_in_flight: { calls: concurrentCalls, ms: round(concurrentMs, 1), events_per_second: Math.round((concurrentCalls * BATCH * 1000) / concurrentMs) },
    },
    readout: {
      units_10k: at10k,
      units_1m: at1m,
      fill_1m_units_ms: round(fillMs),
      ratio_1m_over_10k_inside: round(at1m.inside_object_ms / at10k.inside_object_ms, 2),
    },
  };
}
