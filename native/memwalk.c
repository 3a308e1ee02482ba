/*
 * The object walk of `mem summary` / `mem diff`, in C (part of libflight_boot.so, loaded in the
 * target). Like boot.c it finds the Python C API at run time: one binary for 3.9-3.13.
 *
 * Semantics are pympler's (muppy.get_objects + summary.summarize): every object of the list it is
 * given (gc.get_objects(), frames left out) and the untracked objects they refer to directly
 * (tp_traverse, one level), each counted once, with sys.getsizeof's size. Rows are keyed by the
 * type pointer (an open-addressing table); names are made in Python for the rows shown.
 *
 * Safety:
 * - nothing here runs Python code while a tp_traverse is in progress: the untracked referents an
 *   object yields are collected (each with a reference) and counted after its traverse returns
 *   (counting may call a type's __sizeof__, which may run Python code and switch threads);
 * - every type seen is held (a reference) until the walk ends, so a type whose last instance goes
 *   away meanwhile stays valid; the caller's list holds the tracked objects;
 * - the GIL is handed over between chunks (PyEval_SaveThread / RestoreThread) whenever this walk
 *   has held it for `budget_ns`, so no other thread waits long; untracked referents are only
 *   remembered by address, so one freed meanwhile whose address is reused can be missed (rare,
 *   an undercount).
 *
 * Sizes: a type whose __sizeof__ is object.__sizeof__ has sys.getsizeof(o) = c + itemsize*ob_size
 * with c constant per type: the first call of _PySys_GetSizeOf gives c, later objects cost no call.
 * An exact list is c + 8*allocated once that matched the first VERIFY lists. Other types (int,
 * str, dict, ...) call _PySys_GetSizeOf.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct _object PyObject;
typedef int (*visitproc)(PyObject *, void *);
typedef int (*traverseproc)(PyObject *, visitproc, void *);

/* PyTypeObject offsets of a 64-bit non-debug build (3.9-3.13 share them); checked at start. */
#define OFF_TYPE 8
#define OFF_SIZE 16
#define OFF_TP_NAME 24
#define OFF_TP_BASICSIZE 32
#define OFF_TP_ITEMSIZE 40
#define OFF_TP_FLAGS 168
#define OFF_TP_TRAVERSE 184

#define FIELD(o, off, t) (*(t *)((char *)(o) + (off)))

static struct {
    int ready, broken;
    intptr_t (*list_size)(PyObject *);
    PyObject *(*list_item)(PyObject *, intptr_t);
    int (*is_tracked)(PyObject *);
    size_t (*getsizeof)(PyObject *);
    PyObject *(*type_lookup)(PyObject *, PyObject *);
    PyObject *(*intern)(const char *);
    unsigned long (*type_flags)(PyObject *);
    void (*incref)(PyObject *);
    void (*decref)(PyObject *);
    PyObject *(*err_occurred)(void);
    void (*err_clear)(void);
    void *(*save_thread)(void);
    void (*restore_thread)(void *);
    PyObject *(*build)(const char *, ...);
    PyObject *(*list_new)(intptr_t);
    int (*is_subtype)(PyObject *, PyObject *);
    PyObject *(*call)(PyObject *, PyObject *);
    int (*list_set)(PyObject *, intptr_t, PyObject *);
    PyObject *frozenset_type, *none;
    PyObject *module_type;
    int (*list_append)(PyObject *, PyObject *);
    PyObject *dict_type, *object_type, *sizeof_name, *object_sizeof, *list_type;
} api;

static int resolve(void) {
    if (api.ready) return 1;
    if (api.broken) return 0;
#define SYM(field, name) *(void **)(&api.field) = dlsym(RTLD_DEFAULT, name)
    SYM(list_size, "PyList_Size");
    SYM(list_item, "PyList_GetItem");
    SYM(is_tracked, "PyObject_GC_IsTracked");
    SYM(getsizeof, "_PySys_GetSizeOf");
    SYM(type_lookup, "_PyType_Lookup");
    SYM(intern, "PyUnicode_InternFromString");
    SYM(type_flags, "PyType_GetFlags");
    SYM(incref, "Py_IncRef");
    SYM(decref, "Py_DecRef");
    SYM(err_occurred, "PyErr_Occurred");
    SYM(err_clear, "PyErr_Clear");
    SYM(save_thread, "PyEval_SaveThread");
    SYM(restore_thread, "PyEval_RestoreThread");
    SYM(build, "Py_BuildValue");
    SYM(list_new, "PyList_New");
    SYM(is_subtype, "PyType_IsSubtype");
    SYM(call, "PyObject_CallObject");
    SYM(list_set, "PyList_SetItem");
    SYM(list_append, "PyList_Append");
#undef SYM
    api.dict_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyDict_Type");
    api.object_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyBaseObject_Type");
    api.module_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyModule_Type");
    api.list_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyList_Type");
    api.frozenset_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyFrozenSet_Type");
    api.none = (PyObject *)dlsym(RTLD_DEFAULT, "_Py_NoneStruct");
    api.broken = 1;
    if (!api.list_size || !api.list_item || !api.is_tracked || !api.getsizeof || !api.type_lookup || !api.intern ||
        !api.type_flags || !api.incref || !api.decref || !api.err_occurred || !api.err_clear || !api.save_thread ||
        !api.restore_thread || !api.build || !api.list_new || !api.list_append || !api.dict_type || !api.object_type || !api.is_subtype ||
        !api.module_type || !api.list_type || !api.call || !api.list_set || !api.frozenset_type || !api.none)
        return 0;
    /* the layout this file assumes: dict's name, flags and traverse where we read them */
    const char *name = FIELD(api.dict_type, OFF_TP_NAME, const char *);
    if (!name || strcmp(name, "dict") != 0) return 0;
    if (FIELD(api.dict_type, OFF_TP_FLAGS, unsigned long) != api.type_flags(api.dict_type)) return 0;
    if (FIELD(api.dict_type, OFF_TYPE, PyObject *) == NULL || !FIELD(api.dict_type, OFF_TP_TRAVERSE, traverseproc))
        return 0;
    api.sizeof_name = api.intern("__sizeof__");
    if (!api.sizeof_name) return 0;
    api.object_sizeof = api.type_lookup(api.object_type, api.sizeof_name); /* borrowed, immortal enough */
    if (!api.object_sizeof) return 0;
    api.broken = 0;
    api.ready = 1;
    return 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the type table ---- */
enum { SIZE_UNKNOWN = 0, SIZE_LINEAR = 1, SIZE_CALL = 2, SIZE_LIST = 3 };

/* A formula for an exact list (its own __sizeof__: basicsize + 8*allocated, plus the GC head),
 * checked against _PySys_GetSizeOf on the first VERIFY lists and used only if it matched them
 * all. (int has none: 3.12 changed its layout and small ints hide the difference.) */
#define VERIFY 512
#define OFF_LIST_ALLOCATED 32 /* PyListObject: ob_base (24), ob_item, allocated */


typedef struct {
    PyObject *type; /* a reference, held until the walk ends */
    int64_t count, size;
    int mode;
    int64_t base, itemsize;
    int verify_left; /* lists left to check the formula against (0: not being checked) */
} type_row;

typedef struct {
    type_row *rows;
    size_t capacity, used;
    uintptr_t *seen; /* untracked objects counted, by address (0: empty) */
    size_t seen_capacity, seen_used;
    PyObject **pending; /* the untracked referents of the object being traversed (references) */
    size_t pending_used, pending_capacity;
    int failed; /* out of memory */
    int64_t tracked, untracked, errors;
} walk;

static size_t hash_ptr(uintptr_t p) {
    p ^= p >> 33;
    p *= 0xff51afd7ed558ccdULL;
    p ^= p >> 33;
    return (size_t)p;
}

static int grow_rows(walk *w) {
    size_t capacity = w->capacity ? w->capacity * 2 : 1024;
    type_row *rows = calloc(capacity, sizeof(type_row));
    if (!rows) return 0;
    for (size_t i = 0; i < w->capacity; i++) {
        if (!w->rows[i].type) continue;
        size_t j = hash_ptr((uintptr_t)w->rows[i].type) & (capacity - 1);
        while (rows[j].type) j = (j + 1) & (capacity - 1);
        rows[j] = w->rows[i];
    }
    free(w->rows);
    w->rows = rows;
    w->capacity = capacity;
    return 1;
}

static type_row *row_of(walk *w, PyObject *type) {
    if ((w->used + 1) * 2 > w->capacity && !grow_rows(w)) return NULL;
    size_t j = hash_ptr((uintptr_t)type) & (w->capacity - 1);
    while (w->rows[j].type && w->rows[j].type != type) j = (j + 1) & (w->capacity - 1);
    type_row *row = &w->rows[j];
    if (!row->type) {
        api.incref(type);
        row->type = type;
        row->itemsize = FIELD(type, OFF_TP_ITEMSIZE, intptr_t);
        w->used++;
    }
    return row;
}

/* The seen set at twice its capacity (0: out of memory). Touches no Python object: the walk does it
 * with the GIL released when it can (between objects), inline only when a traverse fills it. */
static int grow_seen(walk *w, size_t capacity) {
    uintptr_t *seen = calloc(capacity, sizeof(uintptr_t));
    if (!seen) return 0;
    for (size_t i = 0; i < w->seen_capacity; i++) {
        uintptr_t p = w->seen[i];
        if (!p) continue;
        size_t j = hash_ptr(p) & (capacity - 1);
        while (seen[j]) j = (j + 1) & (capacity - 1);
        seen[j] = p;
    }
    free(w->seen);
    w->seen = seen;
    w->seen_capacity = capacity;
    return 1;
}

/* 1: newly added; 0: seen before; -1: out of memory */
static int see(walk *w, PyObject *o) {
    if ((w->seen_used + 1) * 2 > w->seen_capacity && !grow_seen(w, w->seen_capacity * 2)) return -1;
    uintptr_t p = (uintptr_t)o;
    size_t j = hash_ptr(p) & (w->seen_capacity - 1);
    while (w->seen[j]) {
        if (w->seen[j] == p) return 0;
        j = (j + 1) & (w->seen_capacity - 1);
    }
    w->seen[j] = p;
    w->seen_used++;
    return 1;
}

static int64_t abs64(intptr_t n) { return n < 0 ? -(int64_t)n : (int64_t)n; }

static int64_t size_of(walk *w, type_row *row, PyObject *o) {
    if (row->mode == SIZE_LINEAR) return row->base + (row->itemsize ? row->itemsize * (int64_t)FIELD(o, OFF_SIZE, intptr_t) : 0);
    if (row->mode == SIZE_LIST) return row->base + 8 * abs64(FIELD(o, OFF_LIST_ALLOCATED, intptr_t));
    size_t size = api.getsizeof(o);
    if (size == (size_t)-1 && api.err_occurred()) {
        api.err_clear();
        w->errors++;
        return 0;
    }
    PyObject *type = row->type;
    if (row->mode == SIZE_UNKNOWN) {
        row->mode = SIZE_CALL;
        /* object.__sizeof__ (basicsize + itemsize*ob_size) plus what getsizeof adds (GC head,
         * pre-header): constant per type, except a GC type with tp_is_gc (types themselves) */
        if (api.type_lookup(type, api.sizeof_name) == api.object_sizeof && type != FIELD(api.dict_type, OFF_TYPE, PyObject *)) {
            row->base = (int64_t)size - (row->itemsize ? row->itemsize * (int64_t)FIELD(o, OFF_SIZE, intptr_t) : 0);
            row->mode = SIZE_LINEAR;
        } else if (type == api.list_type) {
            row->base = (int64_t)size - 8 * abs64(FIELD(o, OFF_LIST_ALLOCATED, intptr_t));
            row->verify_left = VERIFY;
            return (int64_t)size;
        }
        if (api.err_occurred()) api.err_clear();
        return (int64_t)size;
    }
    if (row->verify_left > 0) {
        if (row->base + 8 * abs64(FIELD(o, OFF_LIST_ALLOCATED, intptr_t)) != (int64_t)size)
            row->verify_left = 0; /* the formula is wrong here: always call */
        else if (--row->verify_left == 0)
            row->mode = SIZE_LIST;
    }
    return (int64_t)size;
}

static void count(walk *w, PyObject *o) {
    type_row *row = row_of(w, FIELD(o, OFF_TYPE, PyObject *));
    if (!row) {
        w->failed = 1;
        return;
    }
    row->count++;
    row->size += size_of(w, row, o);
}

static int visit(PyObject *o, void *arg) {
    walk *w = (walk *)arg;
    if (!o || w->failed || api.is_tracked(o)) return 0;
    /* a dead object a traverse still visits (3.12's _asyncio module state visits its freelist):
     * a reference taken and dropped would free it a second time */
    if (FIELD(o, 0, intptr_t) <= 0) return 0;
    int added = see(w, o);
    if (added < 0) {
        w->failed = 1;
        return 0;
    }
    if (!added) return 0;
    if (w->pending_used == w->pending_capacity) {
        size_t capacity = w->pending_capacity ? w->pending_capacity * 2 : 256;
        PyObject **pending = realloc(w->pending, capacity * sizeof(PyObject *));
        if (!pending) {
            w->failed = 1;
            return 0;
        }
        w->pending = pending;
        w->pending_capacity = capacity;
    }
    api.incref(o);
    w->pending[w->pending_used++] = o;
    return 0;
}

static void release(walk *w) {
    for (size_t i = 0; i < w->capacity; i++)
        if (w->rows[i].type) api.decref(w->rows[i].type);
    free(w->rows);
    free(w->seen);
    free(w->pending);
}

/* One tracked object: its untracked direct referents, then itself. */
static void walk_one(walk *w, PyObject *o, PyObject *skip) {
    PyObject *type = FIELD(o, OFF_TYPE, PyObject *);
    if (type == skip) return;
    w->tracked++;
    traverseproc traverse = FIELD(type, OFF_TP_TRAVERSE, traverseproc);
    /* a module's traverse visits its C state, freelists included: its dict is counted anyway */
    if (traverse && type != api.module_type && !api.is_subtype(type, api.module_type)) traverse(o, visit, w);
    /* the traverse is over: counting may run Python code (a __sizeof__) */
    size_t pending = w->pending_used;
    w->pending_used = 0;
    for (size_t k = 0; k < pending; k++) {
        PyObject *r = w->pending[k];
        if (!w->failed) {
            count(w, r);
            w->untracked++;
        }
        w->pending[k] = NULL;
        api.decref(r);
    }
    count(w, o);
}

#define TUPLE_SUBCLASS (1UL << 26)

/* Tuples and frozensets are filled after they are tracked, by C code that requires their only
 * reference (PyTuple_SetItem, _PyTuple_Resize, PySet_Add on a frozenset: else SystemError) and
 * may let other threads run meanwhile (it calls an iterator). The list must not hold them when
 * the GIL is handed over: they are walked first, in the hold that took the list, and dropped. */
static void walk_fragile(walk *w, PyObject *objects, PyObject *skip) {
    intptr_t n = api.list_size(objects);
    for (intptr_t i = 0; i < n && !w->failed; i++) {
        PyObject *o = api.list_item(objects, i);
        PyObject *type = FIELD(o, OFF_TYPE, PyObject *);
        if (!(FIELD(type, OFF_TP_FLAGS, unsigned long) & TUPLE_SUBCLASS) && type != api.frozenset_type &&
            !api.is_subtype(type, api.frozenset_type))
            continue;
        /* walked now, but its untracked referents (each held, never a tuple being built: those
         * stay tracked) are counted later, in chunks: this hold stays short */
        if (type != skip) {
            w->tracked++;
            traverseproc traverse = FIELD(type, OFF_TP_TRAVERSE, traverseproc);
            if (traverse) traverse(o, visit, w);
            count(w, o);
        }
        api.incref(api.none);
        api.list_set(objects, i, api.none); /* drops our reference */
    }
}

/*
 * flight_mem_walk(objects, skip, budget_ns): objects a list of tracked objects; skip a type whose
 * objects are left out (frames), or None. Returns (rows, tracked, untracked, errors, chunks,
 * longest hold ns) with rows a list of (type, count, size); NULL with no exception set when the C
 * API is not what this file expects or memory ran out (the caller walks in Python instead).
 */
static PyObject *walk_list(PyObject *objects, PyObject *skip, int64_t budget_ns, int fragile_first,
                           int64_t hold_start) {
    walk w;
    memset(&w, 0, sizeof w);
    int64_t longest = 0, chunks = 1;
    intptr_t n = api.list_size(objects);
    size_t capacity = 1 << 16;
    while (capacity < (size_t)n * 2) capacity <<= 1; /* as many untracked as tracked: no growth */
    if (!grow_seen(&w, capacity)) return NULL;
    if (fragile_first) walk_fragile(&w, objects, skip);
    /* the untracked referents of the tuples and frozensets, held since: counted in chunks */
    size_t deferred = w.pending_used;
    PyObject **held = w.pending;
    w.pending = NULL;
    w.pending_used = w.pending_capacity = 0;
    for (size_t k = 0; k < deferred; k++) {
        if ((k & 255) == 255) {
            int64_t t = now_ns();
            if (t - hold_start >= budget_ns) {
                if (t - hold_start > longest) longest = t - hold_start;
                void *state = api.save_thread();
                api.restore_thread(state);
                hold_start = now_ns();
                chunks++;
            }
        }
        if (!w.failed) {
            count(&w, held[k]);
            w.untracked++;
        }
        api.decref(held[k]);
    }
    free(held);
    for (intptr_t i = 0; i < n && !w.failed; i++) {
        int grow = w.seen_used * 5 > w.seen_capacity * 2; /* 40% full: grow between objects */
        if ((i & 255) == 255 || grow) {
            int64_t t = now_ns();
            if (t - hold_start >= budget_ns || grow) {
                if (t - hold_start > longest) longest = t - hold_start;
                void *state = api.save_thread();
                if (grow && !grow_seen(&w, w.seen_capacity * 2)) w.failed = 1;
                api.restore_thread(state);
                hold_start = now_ns();
                chunks++;
                if (w.failed) break;
            }
        }
        if (i >= api.list_size(objects)) break;
        PyObject *o = api.list_item(objects, i); /* borrowed: the list holds it */
        if (o != api.none) walk_one(&w, o, skip);
    }
    int64_t t = now_ns();
    if (t - hold_start > longest) longest = t - hold_start;
    if (w.failed) {
        release(&w);
        return NULL;
    }
    PyObject *rows = api.list_new(0);
    if (!rows) {
        release(&w);
        return NULL;
    }
    for (size_t i = 0; i < w.capacity; i++) {
        type_row *row = &w.rows[i];
        if (!row->type) continue;
        PyObject *item = api.build("(OLL)", row->type, (long long)row->count, (long long)row->size);
        if (!item || api.list_append(rows, item) < 0) {
            if (item) api.decref(item);
            api.decref(rows);
            release(&w);
            return NULL;
        }
        api.decref(item);
    }
    release(&w);
    PyObject *result = api.build("(NLLLLL)", rows, (long long)w.tracked, (long long)w.untracked,
                                 (long long)w.errors, (long long)chunks, (long long)longest);
    return result;
}

__attribute__((visibility("default"))) PyObject *flight_mem_walk(PyObject *objects, PyObject *skip,
                                                                 int64_t budget_ns) {
    if (!resolve()) return NULL;
    return walk_list(objects, skip, budget_ns, 0, now_ns());
}

/*
 * flight_mem_walk_objects(get_objects, skip, budget_ns): the same over get_objects() (gc's),
 * called here so that no thread runs between taking the list and dropping its tuples and
 * frozensets (walk_fragile). The list is released before it returns.
 */
__attribute__((visibility("default"))) PyObject *flight_mem_walk_objects(PyObject *get_objects, PyObject *skip,
                                                                         int64_t budget_ns) {
    if (!resolve()) return NULL;
    int64_t start = now_ns(); /* the first hold: taking the list, then its tuples and frozensets */
    PyObject *objects = api.call(get_objects, NULL);
    if (!objects) {
        api.err_clear();
        return NULL;
    }
    PyObject *result = walk_list(objects, skip, budget_ns, 1, start);
    api.decref(objects);
    return result;
}
