/* version: what `corral --version` prints and the metrics' build_info says. */
#ifndef CORRAL_VERSION_H
#define CORRAL_VERSION_H

#define CORRAL_VERSION "0.1.0"

#endif
