/* blas.h — the one place the library includes its BLAS backend (CBLAS interface). */
#ifndef RNNBPTT_BLAS_H
#define RNNBPTT_BLAS_H

#include <cblas.h>

/* OpenBLAS's cblas.h pulls in <complex.h>, whose macro I would shadow the input size I we use
 * everywhere; the library does no complex arithmetic. */
#undef I

#endif /* RNNBPTT_BLAS_H */
