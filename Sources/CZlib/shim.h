// zlib, for reading gzip-compressed input files (predictions.csv.gz and the like).
#ifndef CLERICAL_CZLIB_SHIM_H
#define CLERICAL_CZLIB_SHIM_H

#include <zlib.h>

// inflateInit2 is a macro: Swift sees only the function behind it.
static inline int clerical_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

#endif
