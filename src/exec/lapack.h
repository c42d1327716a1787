/* lapack.h — the one place the library includes LAPACKE (LAPACK's C interface). */
#ifndef RNNBPTT_LAPACK_H
#define RNNBPTT_LAPACK_H

#include <lapacke.h>

/* lapacke.h pulls in <complex.h> for its complex types, whose macro I would shadow the input size
 * I we use everywhere; the library calls only real LAPACK routines. */
#undef I

#endif /* RNNBPTT_LAPACK_H */
