#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <cblas.h>
/* OpenBLAS threading control (not part of CBLAS proper). */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
/* The kernel set OpenBLAS picked when it loaded (e.g. "Haswell"). */
char *openblas_get_corename(void);
#endif
