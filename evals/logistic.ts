/**
 * L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least
 * squares). Small and exact for the few named features the MIMIC method uses: a handful of
 * weights that can be read, reported and explained, instead of a grid search over hand-set
 * bonuses that overfits a small training set.
 */

export const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export const dot = (w: readonly number[], x: readonly number[]) => {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * x[i];
  return s;
};

export interface LogisticOptions {
  /** Penalty on every weight but the intercept (column 0, which must be a constant 1). */
  l2?: number;
  maxIterations?: number;
  /** Stops when no weight moves by more than this. */
  tolerance?: number;
}

/**
 * Fits weights w minimising Σ log-loss(σ(w·x), y) + l2/2 · Σ_{i≥1} w_i². Column 0 of every row is
 * the intercept. Rows and labels must have equal lengths; labels are 0 or 1.
 */
export function fitLogisticRegression(X: readonly (readonly number[])[], y: readonly number[], opts: LogisticOptions = {}): number[] {
  if (X.length !== y.length) throw new Error(`fitLogisticRegression: ${X.length} rows but ${y.length} labels`);
  if (!X.length) throw new Error('fitLogisticRegression: no training rows');
  const dim = X[0].length;
  if (X.some((r) => r.length !== dim)) throw new Error('fitLogisticRegression: rows differ in length');
  const l2 = opts.l2 ?? 1;
  const tol = opts.tolerance ?? 1e-8;
  let w = new Array<number>(dim).fill(0);
  for (let it = 0; it < (opts.maxIterations ?? 50); it++) {
    const grad = w.map((x, i) => (i ? l2 * x : 0));
    const hess = Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, j) => (i === j && i ? l2 : 0)));
    for (let n = 0; n < X.length; n++) {
      const x = X[n];
      const p = sigmoid(dot(w, x));
      const r = p * (1 - p);
      const e = p - y[n];
      for (let i = 0; i < dim; i++) {
        grad[i] += e * x[i];
        const rx = r * x[i];
        for (let j = i; j < dim; j++) hess[i][j] += rx * x[j];
      }
    }
    for (let i = 0; i < dim; i++) for (let j = 0; j < i; j++) hess[i][j] = hess[j][i];
    const step = solveLinear(hess, grad);
    w = w.map((x, i) => x - step[i]);
    if (Math.max(...step.map(Math.abs)) < tol) break;
  }
  return w;
}

/**
 * Solves A·x = b by Gaussian elimination with partial pivoting. A singular direction (a feature
 * that is constant over the training rows and unpenalised) gets a zero step instead of NaN.
 */
export function solveLinear(A: readonly (readonly number[])[], b: readonly number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    if (Math.abs(M[c][c]) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      if (f) for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => (Math.abs(row[i]) < 1e-12 ? 0 : row[n] / row[i]));
}
