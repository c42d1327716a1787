/* optim.c — the optimizers (torch.optim's SGD with and without momentum and Nesterov, Adagrad,
 * RMSprop, Adam, AdamW): one parameter buffer, one gradient buffer, one update loop over them.
 * Legend: n parameters; p params [n], g grads [n], state [k·n] floats (k = 0, 1 or 2 moments).
 * The element loops run in float, each rounding where torch's float32 kernels round (mul_ then
 * add_, addcmul_, addcdiv_ as value·t1 / t2); the scalar factors (1 − β, bias corrections, the
 * step size) are computed in double and cast to float once, as torch passes a Python float. The
 * header gives each update's pseudocode. */
#include "train/train.h"

#include "exec/exec.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

struct rnnbptt_optim {
    rnnbptt_optim_config cfg;
    size_t n;
    uint64_t t;     /* steps taken */
    float state[];  /* k·n floats: momentum buffer | sum of squares | m then v */
};

/* Moment buffers of n floats a kind keeps; -1 for an unknown kind. */
static int optim_moments(rnnbptt_optim_kind kind)
{
    switch (kind) {
    case RNNBPTT_SGD:
        return 0;
    case RNNBPTT_SGD_MOMENTUM:
    case RNNBPTT_SGD_NESTEROV:
    case RNNBPTT_ADAGRAD:
    case RNNBPTT_RMSPROP:
        return 1;
    case RNNBPTT_ADAM:
    case RNNBPTT_ADAMW:
        return 2;
    }
    return -1;
}

rnnbptt_optim_config rnnbptt_optim_defaults(rnnbptt_optim_kind kind, double lr)
{
    rnnbptt_optim_config c = {.kind = kind, .lr = lr};
    switch (kind) {
    case RNNBPTT_SGD:
        break;
    case RNNBPTT_SGD_MOMENTUM:
    case RNNBPTT_SGD_NESTEROV:
        c.momentum = 0.9;
        break;
    case RNNBPTT_ADAGRAD:
        c.eps = 1e-10;
        break;
    case RNNBPTT_RMSPROP:
        c.alpha = 0.99;
        c.eps = 1e-8;
        break;
    case RNNBPTT_ADAMW:
        c.weight_decay = 1e-2;
        /* fall through */
    case RNNBPTT_ADAM:
        c.beta1 = 0.9;
        c.beta2 = 0.999;
        c.eps = 1e-8;
        break;
    }
    return c;
}

static int finite_nonneg(double x) { return x >= 0 && x <= DBL_MAX; } /* false for NaN */
static int unit_interval(double x) { return x >= 0 && x < 1; }        /* [0, 1); false for NaN */

/* 1 if every field kind c->kind reads is in its range (the kind is known). */
static int optim_config_ok(const rnnbptt_optim_config *c)
{
    int ok = finite_nonneg(c->lr) && finite_nonneg(c->weight_decay);
    switch (c->kind) {
    case RNNBPTT_SGD:
        return ok;
    case RNNBPTT_SGD_MOMENTUM:
    case RNNBPTT_SGD_NESTEROV:
        return ok && unit_interval(c->momentum);
    case RNNBPTT_ADAGRAD:
        return ok && finite_nonneg(c->eps);
    case RNNBPTT_RMSPROP:
        return ok && finite_nonneg(c->eps) && unit_interval(c->alpha);
    case RNNBPTT_ADAM:
    case RNNBPTT_ADAMW:
        return ok && finite_nonneg(c->eps) && unit_interval(c->beta1) &&
               unit_interval(c->beta2);
    }
    return 0;
}

rnnbptt_status rnnbptt_optim_create(const rnnbptt_optim_config *cfg, size_t n, rnnbptt_optim **o)
{
    RETURN_IF(!cfg || !o || n == 0, RNNBPTT_EINVAL);
    int k = optim_moments(cfg->kind);
    RETURN_IF(k < 0 || !optim_config_ok(cfg), RNNBPTT_EINVAL);
    RETURN_IF(k > 0 && n > (SIZE_MAX - sizeof(rnnbptt_optim)) / ((size_t)k * sizeof(float)),
              RNNBPTT_EINVAL);
    rnnbptt_optim *opt = rb_calloc(1, sizeof(rnnbptt_optim) + (size_t)k * n * sizeof(float));
    RETURN_IF(!opt, RNNBPTT_ENOMEM);
    opt->cfg = *cfg;
    opt->n = n;
    *o = opt;
    return RNNBPTT_OK;
}

void rnnbptt_optim_destroy(rnnbptt_optim *o) { rb_free(o); }

/* ---- the element loops: vectorized (RB_CLONES), no branch on the kind inside; the tests on
 * wd and on the first step are loop-invariant selects ---- */

/* torch's `if wd != 0: g = g + wd·p` for one element (a select: wd is the same for the loop). */
static inline float decayed(float g, float p, float wd) { return wd != 0.0f ? g + wd * p : g; }

/* SGD: p −= lr·(g + wd·p). */
RB_CLONES static void sgd_loop(size_t n, float *restrict p, const float *restrict g, float lr,
                               float wd)
{
    for (size_t i = 0; i < n; i++) {
        float gi = decayed(g[i], p[i], wd);
        p[i] = p[i] - lr * gi;
    }
}

/* SGD with momentum mu: b = g (first step) or mu·b + g; p −= lr·b, or lr·(g + mu·b) (Nesterov). */
RB_CLONES static void momentum_loop(size_t n, float *restrict p, const float *restrict g,
                                    float *restrict b, float lr, float wd, float mu, int first,
                                    int nesterov)
{
    for (size_t i = 0; i < n; i++) {
        float gi = decayed(g[i], p[i], wd);
        float bi = first ? gi : b[i] * mu + gi;
        float d = nesterov ? gi + mu * bi : bi;
        b[i] = bi;
        p[i] = p[i] - lr * d;
    }
}

/* Adagrad (a = c = 1) and RMSprop (a = α, c = 1 − α): v = a·v + c·g·g; p −= lr·g / (√v + eps). */
typedef struct {
    float lr, wd, a, c, eps;
} square_factors;
RB_CLONES static void square_loop(size_t n, float *restrict p, const float *restrict g,
                                  float *restrict v, square_factors f)
{
    for (size_t i = 0; i < n; i++) {
        float gi = decayed(g[i], p[i], f.wd);
        float vi = v[i] * f.a + f.c * gi * gi;
        v[i] = vi;
        p[i] = p[i] - f.lr * gi / (sqrtf(vi) + f.eps);
    }
}

/* Adam and AdamW: p ·= keep (AdamW's decoupled decay; 1 for Adam), g += wd·p (Adam's; wd 0 for
 * AdamW), m = β1·m + (1 − β1)·g, v = β2·v + (1 − β2)·g·g, p −= step·m / (√v / bc2s + eps). */
typedef struct {
    float keep, wd, b1, c1, b2, c2, step, bc2s, eps;
} adam_factors;
RB_CLONES static void adam_loop(size_t n, float *restrict p, const float *restrict g,
                                float *restrict m, float *restrict v, adam_factors f)
{
    for (size_t i = 0; i < n; i++) {
        float pi = p[i] * f.keep;
        float gi = decayed(g[i], pi, f.wd);
        float mi = m[i] * f.b1 + f.c1 * gi;
        float vi = v[i] * f.b2 + f.c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = pi - f.step * mi / (sqrtf(vi) / f.bc2s + f.eps);
    }
}

rnnbptt_status rnnbptt_optim_step(rnnbptt_optim *o, float *params, const float *grads)
{
    RETURN_IF(!o || !params || !grads, RNNBPTT_EINVAL);
    size_t n = o->n;
    RETURN_IF(rb_any_nonfinite(grads, n), RNNBPTT_ENONFINITE);
    const rnnbptt_optim_config *c = &o->cfg;
    float lr = (float)c->lr, wd = (float)c->weight_decay, eps = (float)c->eps;
    o->t++;
    switch (c->kind) {
    case RNNBPTT_SGD:
        sgd_loop(n, params, grads, lr, wd);
        break;
    case RNNBPTT_SGD_MOMENTUM:
    case RNNBPTT_SGD_NESTEROV:
        momentum_loop(n, params, grads, o->state, lr, wd, (float)c->momentum, o->t == 1,
                      c->kind == RNNBPTT_SGD_NESTEROV);
        break;
    case RNNBPTT_ADAGRAD:
        square_loop(n, params, grads, o->state, (square_factors){lr, wd, 1.0f, 1.0f, eps});
        break;
    case RNNBPTT_RMSPROP:
        square_loop(n, params, grads, o->state,
                    (square_factors){lr, wd, (float)c->alpha, (float)(1 - c->alpha), eps});
        break;
    case RNNBPTT_ADAM:
    case RNNBPTT_ADAMW: {
        int w = c->kind == RNNBPTT_ADAMW;
        double t = (double)o->t, bc1 = 1 - pow(c->beta1, t), bc2 = 1 - pow(c->beta2, t);
        adam_factors f = {
            .keep = w ? (float)(1 - c->lr * c->weight_decay) : 1.0f,
            .wd = w ? 0.0f : wd,
            .b1 = (float)c->beta1,
            .c1 = (float)(1 - c->beta1),
            .b2 = (float)c->beta2,
            .c2 = (float)(1 - c->beta2),
            .step = (float)(c->lr / bc1),
            .bc2s = (float)sqrt(bc2),
            .eps = eps,
        };
        adam_loop(n, params, grads, o->state, o->state + n, f);
        break;
    }
    }
    return RNNBPTT_OK;
}

/* ---- what model files read and restore (train.h) ---- */

int rb_optim_moments(rnnbptt_optim_kind kind) { return optim_moments(kind); }

int rb_optim_config_ok(const rnnbptt_optim_config *cfg)
{
    return optim_moments(cfg->kind) >= 0 && optim_config_ok(cfg);
}

rb_optim_info rb_optim_info_of(const rnnbptt_optim *o, const float **state)
{
    *state = o->state;
    return (rb_optim_info){o->cfg, o->n, (size_t)optim_moments(o->cfg.kind), o->t};
}

rnnbptt_status rb_optim_restore(const rb_optim_info *info, rnnbptt_optim **o, float **state)
{
    rnnbptt_status st = rnnbptt_optim_create(&info->cfg, info->n, o);
    if (st == RNNBPTT_OK) {
        (*o)->t = info->t;
        *state = (*o)->state;
    }
    return st;
}
