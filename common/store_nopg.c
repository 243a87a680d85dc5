/* SPDX-License-Identifier: ISC */
/* Built instead of store_pg.c when configure found no libpq. */
#include "autoconfig.h"

#include <stddef.h>

#include "store.h"

const struct odin_store_ops *const odin_store_pg_ops = NULL;
