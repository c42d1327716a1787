/* train.h — the private header of src/train/: the training layer (models of stacked layers,
 * optimizers, clipping, initialization, model files), built on the layers below it.
 * Files here may include src/layers/, src/exec/ and src/util/; nothing of src/mpi/. */
#ifndef RNNBPTT_TRAIN_H
#define RNNBPTT_TRAIN_H

#include "layers/layers.h"

/* ---- guard.c ---- */
/* 1 if g[0..n-1] holds a NaN or an Inf. */
int rb_any_nonfinite(const float *g, size_t n);

#endif /* RNNBPTT_TRAIN_H */
