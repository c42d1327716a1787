/* mpi.h — the private header of src/mpi/: the optional MPI component (data-parallel training:
 * gradients all-reduced across processes), built only when MPI is found.
 * Files here may include every other folder; nothing else includes them. */
#ifndef RNNBPTT_MPI_H
#define RNNBPTT_MPI_H

#include "train/train.h"

#endif /* RNNBPTT_MPI_H */
