/*
 * Fixed-step C yardstick of `stats` (src/bench/stats-yardstick.ts compiles it with -O3 and runs it):
 * the ReLU gradient flow of the first layer on the overlaps (Q, R), docs/theory.md §4.1, in the §4
 * "ReLU fast form" (the equations of src/theory/flow.ts and stein.ts), integrated by classical RK4 with
 * a fixed step from each initial state to t_max.
 *
 * Input (stdin, whitespace-separated numbers):
 *   K M inits lr dt t_max
 *   then per initialisation: Q (K×K), R (K×M), T (M×M), row-major; readouts a = v = 1.
 * Output (stdout): one line per initialisation, "loss max|F|" at t_max (%.17g), then
 * "seconds <wall time of the integrations>" (reading and printing excluded).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const double TWO_PI = 6.283185307179586;
/* docs/theory.md §7.2: the smallest variance used as a divisor. */
static const double VARIANCE_FLOOR = 1e-300;

static int K, M, n;
static double lr;
/* Ω (n×n), c (n), Stein coefficients S and drift b (K×n), 1/√Ω_ββ (n), e-sums (K). */
static double *omega, *c, *S, *b, *invSd, *eSum;

static double clip(double r) { return r > 1 ? 1 : r < -1 ? -1 : r; }

/* Load the state X (K×n: row k = [Q_k·, R_k·], Q exactly symmetric) into Ω; T stays (§0, §7.3). */
static void load(const double *X) {
  for (int k = 0; k < K; k++)
    for (int g = 0; g < n; g++) omega[k * n + g] = X[k * n + g];
  for (int m = 0; m < M; m++)
    for (int k = 0; k < K; k++) omega[(K + m) * n + k] = X[k * n + K + m];
}

/* dX/dt = F(X), §4.1: dQ_kl = A_kl + A_lk, dR_km = A_{k,K+m}, A = −η a∘(S Ω) (§4 ReLU fast form, §10). */
static void rhs(const double *X, double *dX) {
  load(X);
  for (int g = 0; g < n; g++) invSd[g] = 1 / sqrt(fmax(omega[g * n + g], VARIANCE_FLOOR));
  for (int k = 0; k < K; k++) eSum[k] = 0;
  for (int k = 0; k < K; k++) {
    const double okk = omega[k * n + k], invK = invSd[k], ck = c[k];
    double e = eSum[k];
    S[k * n + k] = 0.5 * ck;
    for (int j = k + 1; j < K; j++) {
      const double okj = omega[k * n + j];
      const double J = 0.25 + asin(clip(okj * invK * invSd[j])) / TWO_PI;
      S[k * n + j] = c[j] * J;
      S[j * n + k] = ck * J;
      const double s = sqrt(fmax(0, okk * omega[j * n + j] - okj * okj));
      e += c[j] * s;
      eSum[j] += ck * s;
    }
    for (int g = K; g < n; g++) {
      const double okg = omega[k * n + g];
      S[k * n + g] = c[g] * (0.25 + asin(clip(okg * invK * invSd[g])) / TWO_PI);
      e += c[g] * sqrt(fmax(0, okk * omega[g * n + g] - okg * okg));
    }
    eSum[k] = e;
  }
  for (int k = 0; k < K; k++) S[k * n + k] += eSum[k] / (TWO_PI * fmax(omega[k * n + k], VARIANCE_FLOOR));
  /* b_kγ = Σ_β S_kβ Ω_γβ (Ω symmetric), then A_kγ = −η c_k b_kγ. */
  for (int k = 0; k < K; k++) {
    const double f = -lr * c[k];
    for (int g = 0; g < n; g++) {
      double sum = 0;
      for (int q = 0; q < n; q++) sum += S[k * n + q] * omega[g * n + q];
      b[k * n + g] = f * sum;
    }
  }
  for (int k = 0; k < K; k++) {
    for (int l = 0; l < K; l++) dX[k * n + l] = b[k * n + l] + b[l * n + k];
    for (int m = 0; m < M; m++) dX[k * n + K + m] = b[k * n + K + m];
  }
}

/* L = ½ Σ_{α,β} c_α c_β I2(α,β), ReLU I2 of §1.1 (docs/theory.md §2). */
static double loss(const double *X) {
  load(X);
  double sum = 0;
  for (int a = 0; a < n; a++) {
    const double caa = omega[a * n + a];
    sum += 0.25 * c[a] * c[a] * caa;
    for (int q = a + 1; q < n; q++) {
      const double c12 = omega[a * n + q], prod = caa * omega[q * n + q];
      if (prod <= 0) continue;
      const double i2 = c12 / 4 + (c12 * asin(clip(c12 / sqrt(prod))) + sqrt(fmax(0, prod - c12 * c12))) / TWO_PI;
      sum += c[a] * c[q] * i2;
    }
  }
  return sum;
}

static int readDoubles(double *out, int count) {
  for (int i = 0; i < count; i++)
    if (scanf("%lf", &out[i]) != 1) return 0;
  return 1;
}

int main(void) {
  int inits;
  double dt, tMax;
  if (scanf("%d %d %d %lf %lf %lf", &K, &M, &inits, &lr, &dt, &tMax) != 6 || K < 1 || M < 1 || inits < 1) {
    fprintf(stderr, "relu-gd-rk4: bad header (K M inits lr dt t_max)\n");
    return 2;
  }
  n = K + M;
  const int size = K * n;
  const long steps = lround(tMax / dt);
  double *init = malloc(sizeof(double) * (size_t)inits * size);
  double *T = malloc(sizeof(double) * M * M);
  omega = calloc((size_t)n * n, sizeof(double));
  c = malloc(sizeof(double) * n);
  S = malloc(sizeof(double) * size);
  b = malloc(sizeof(double) * size);
  invSd = malloc(sizeof(double) * n);
  eSum = malloc(sizeof(double) * K);
  double *x = malloc(sizeof(double) * size), *y = malloc(sizeof(double) * size);
  double *k1 = malloc(sizeof(double) * size), *k2 = malloc(sizeof(double) * size);
  double *k3 = malloc(sizeof(double) * size), *k4 = malloc(sizeof(double) * size);
  double *endLoss = malloc(sizeof(double) * inits), *endRhs = malloc(sizeof(double) * inits);
  for (int a = 0; a < n; a++) c[a] = a < K ? 1 : -1;
  for (int i = 0; i < inits; i++) {
    double *X = init + (size_t)i * size;
    for (int k = 0; k < K; k++)
      if (!readDoubles(X + k * n, K)) goto bad;
    for (int k = 0; k < K; k++)
      if (!readDoubles(X + k * n + K, M)) goto bad;
    if (!readDoubles(T, M * M)) goto bad;
    if (i == 0)
      for (int m = 0; m < M; m++)
        for (int l = 0; l < M; l++) omega[(K + m) * n + K + l] = T[m * M + l];
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < inits; i++) {
    for (int j = 0; j < size; j++) x[j] = init[(size_t)i * size + j];
    for (long s = 0; s < steps; s++) {
      rhs(x, k1);
      for (int j = 0; j < size; j++) y[j] = x[j] + 0.5 * dt * k1[j];
      rhs(y, k2);
      for (int j = 0; j < size; j++) y[j] = x[j] + 0.5 * dt * k2[j];
      rhs(y, k3);
      for (int j = 0; j < size; j++) y[j] = x[j] + dt * k3[j];
      rhs(y, k4);
      for (int j = 0; j < size; j++) x[j] += dt / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    }
    rhs(x, k1);
    double maxF = 0;
    for (int j = 0; j < size; j++) maxF = fmax(maxF, fabs(k1[j]));
    endRhs[i] = maxF;
    endLoss[i] = loss(x);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  for (int i = 0; i < inits; i++) printf("%.17g %.17g\n", endLoss[i], endRhs[i]);
  printf("seconds %.6f\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
  return 0;
bad:
  fprintf(stderr, "relu-gd-rk4: expected Q (K×K), R (K×M) and T (M×M) of every initialisation\n");
  return 2;
}
