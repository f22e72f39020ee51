import { summarise } from '../scripts/bench/profile-summary';

// A V8 CPU profile: nodes (call frames) and, per sample, the node it was in and the microseconds since the last.
const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 9 } });
const profile = {
  nodes: [
    frame(1, '(root)', ''),
    frame(2, 'runInContext', 'file:///app/node_modules/@temporalio/worker/lib/workflow/vm.js'),
    frame(3, 'encode', 'file:///app/node_modules/@temporalio/common/lib/converter.js'),
    frame(4, 'journey', 'file:///app/dist/workflow-bundle.js'),
    frame(5, 'runInContext', 'file:///app/node_modules/@temporalio/worker/lib/workflow/vm.js'),
    frame(6, 'parse', 'file:///app/node_modules/zod/v4/core/parse.js'),
    frame(7, '(idle)', ''),
  ],
  samples: [2, 2, 3, 4, 5, 6, 1, 2, 7, 7],
  timeDeltas: [1000, 2000, 1000, 1000, 1000, 2000, 1000, 1000, 5000, 4000],
};

test('self time summed per package and per function, most first, as shares of the busy time', () => {
  const summary = summarise(profile);
  expect({ busy: summary.totalMs, idle: summary.idleMs }).toEqual({ busy: 10, idle: 9 }); // idle is waiting, not work
  expect(summary.byPackage).toEqual([
    ['@temporalio/worker', 0.5], // nodes 2 and 5: one package
    ['zod', 0.2],
    ['(native)', 0.1], // equal shares by name
    ['@temporalio/common', 0.1],
    ['workflow-bundle.js', 0.1],
  ]);
  expect(summary.byFunction[0]).toEqual(['runInContext vm.js:10', 0.5]); // the same function at two call sites
  expect(summarise(profile, 2).byFunction).toHaveLength(2);
});
