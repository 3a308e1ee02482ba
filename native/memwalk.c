/*
 * The object walk of `mem summary` / `mem diff`, in C (part of libflight_boot.so, loaded in the
 * target). Like boot.c it finds the Python C API at run time: one binary for 3.9-3.13.
 *
 * Semantics are pympler's (muppy.get_objects + summary.summarize): every object the collector
 * tracks (what gc.get_objects() lists: generations 0-2, not gc.freeze()'s permanent one; frames
 * left out) and the untracked objects they refer to directly (tp_traverse, one level), each
 * counted once, with sys.getsizeof's size. Rows are keyed by the type pointer (an open-addressing
 * table); names are made in Python for the rows shown.
 *
 * No list of objects: the walk follows the collector's own generation lists (doubly linked
 * PyGC_Head rings, the same layout in 3.9-3.13, found and checked at start: see find_generations).
 * Its place is a marker, an empty list of its own kept in the ring right after the object being
 * walked, so the walk can hand the GIL over at any point and carry on from the marker: whatever
 * the target's threads do meanwhile (free objects, which unlinks them; create some, which appends
 * them to generation 0; collect, which appends a younger generation to an older one) keeps the
 * ring consistent around it. Generations are walked oldest first, so objects a collection moves
 * are still ahead of the walk; objects made after the walk began are left out (an end marker).
 *
 * Safety:
 * - no reference to a target object is held when the GIL is handed over, except the untracked
 *   referents of the object being counted (ints, strs, ...: never a tuple being filled) and a long
 *   list whose items are being visited (see walk_long_list). C code
 *   that fills a tuple or frozenset needs its only reference (_PyTuple_Resize, PySet_Add: else
 *   SystemError) and may let other threads run meanwhile (it calls an iterator): a walk holding a
 *   list of them across a hand-over broke such code; this one holds none;
 * - nothing here runs Python code while a tp_traverse is in progress: the untracked referents an
 *   object yields are collected (each with a reference) and counted after its traverse returns
 *   (counting may call a type's __sizeof__, which may run Python code and switch threads); the
 *   object itself is held (a reference) only across such a call;
 * - every type seen is held (a reference) until the walk ends, so a type whose last instance goes
 *   away meanwhile stays valid; untracked referents are remembered by address, so one freed
 *   meanwhile whose address is reused can be missed (rare, an undercount); an object untracked
 *   and tracked again after the walk passed it is counted twice (rare: dicts and tuples).
 * - the GIL is handed over (PyEval_SaveThread / RestoreThread) whenever this walk has held it for
 *   `budget_ns`, checked every few objects, so no other thread waits long; a single object's
 *   traverse (a dict of millions of entries) is the one thing a hold cannot be cut inside.
 *
 * Sizes: a type whose __sizeof__ is object.__sizeof__ has sys.getsizeof(o) = c + itemsize*ob_size
 * with c constant per type: the first call of _PySys_GetSizeOf gives c, later objects cost no call.
 * An exact list is c + 8*allocated once that matched the first VERIFY lists. A type whose
 * __sizeof__ is a C function (int, str, dict, ...) has it called directly, plus what getsizeof adds
 * (constant per type), once that matched the first VERIFY objects; others call _PySys_GetSizeOf.
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
#define OFF_TP_FREE 320
#define OFF_TP_IS_GC 328

#define FIELD(o, off, t) (*(t *)((char *)(o) + (off)))

/* The collector's lists (Include/internal/pycore_gc.h, 3.9-3.13): a PyGC_Head right before each
 * tracked object; _gc_prev's two low bits are flags of that object, kept when relinking. */
typedef struct gc_head {
    uintptr_t next, prev;
} gc_head;
#define AS_GC(o) ((gc_head *)(o) - 1)
#define FROM_GC(g) ((PyObject *)((gc_head *)(g) + 1))
#define PREV_MASK (~(uintptr_t)3)
#define NEXT(g) ((gc_head *)(g)->next)
#define PREV(g) ((gc_head *)((g)->prev & PREV_MASK))
#define SET_PREV(g, p) ((g)->prev = ((g)->prev & ~PREV_MASK) | (uintptr_t)(p))
/* struct gc_generation {PyGC_Head head; int threshold; int count;} generations[3]; then
 * PyGC_Head *generation0; then the permanent generation */
#define GEN_STRIDE 24
#define GEN_THRESHOLD 16
#define GEN0_POINTER (3 * GEN_STRIDE)
#define PERMANENT (3 * GEN_STRIDE + 8)

static struct {
    int ready, broken;
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
    int (*list_append)(PyObject *, PyObject *);
    const char *(*version)(void);
    intptr_t (*long_as_ssize)(PyObject *);
    PyObject *method_descr_type;
    PyObject *module_type, *dict_type, *object_type, *sizeof_name, *object_sizeof, *list_type;
} api;

static int resolve(void) {
    if (api.ready) return 1;
    if (api.broken) return 0;
#define SYM(field, name) *(void **)(&api.field) = dlsym(RTLD_DEFAULT, name)
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
    SYM(list_append, "PyList_Append");
    SYM(version, "Py_GetVersion");
    SYM(long_as_ssize, "PyLong_AsSsize_t");
    void *gc_del = dlsym(RTLD_DEFAULT, "PyObject_GC_Del");
#undef SYM
    api.dict_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyDict_Type");
    api.object_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyBaseObject_Type");
    api.module_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyModule_Type");
    api.list_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyList_Type");
    api.method_descr_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyMethodDescr_Type");
    PyObject *type_type = (PyObject *)dlsym(RTLD_DEFAULT, "PyType_Type");
    api.broken = 1;
    if (!gc_del || !type_type || !api.is_tracked || !api.getsizeof || !api.type_lookup || !api.intern || !api.type_flags || !api.incref ||
        !api.decref || !api.err_occurred || !api.err_clear || !api.save_thread || !api.restore_thread || !api.build ||
        !api.list_new || !api.list_append || !api.is_subtype || !api.version || !api.long_as_ssize || !api.method_descr_type || !api.dict_type || !api.object_type ||
        !api.module_type || !api.list_type)
        return 0;
    /* the generation layout read below is 3.9-3.13's (3.14's incremental collector differs) */
    const char *version = api.version();
    if (!version || version[0] != '3' || version[1] != '.') return 0;
    int minor = atoi(version + 2);
    if (minor < 9 || minor > 13 || strstr(version, "free-threading")) return 0;
    /* the layout this file assumes: dict's name, flags and traverse where we read them */
    const char *name = FIELD(api.dict_type, OFF_TP_NAME, const char *);
    if (!name || strcmp(name, "dict") != 0) return 0;
    if (FIELD(api.dict_type, OFF_TP_FLAGS, unsigned long) != api.type_flags(api.dict_type)) return 0;
    if (FIELD(api.dict_type, OFF_TYPE, PyObject *) == NULL || !FIELD(api.dict_type, OFF_TP_TRAVERSE, traverseproc))
        return 0;
    /* tp_free and tp_is_gc where is_tracked reads them: type's are PyObject_GC_Del and set, dict's
     * tp_is_gc is not */
    if (FIELD(type_type, OFF_TP_FREE, void *) != gc_del || !FIELD(type_type, OFF_TP_IS_GC, void *) ||
        FIELD(api.dict_type, OFF_TP_IS_GC, void *))
        return 0;
    api.sizeof_name = api.intern("__sizeof__");
    if (!api.sizeof_name) return 0;
    api.object_sizeof = api.type_lookup(api.object_type, api.sizeof_name); /* borrowed, immortal enough */
    if (!api.object_sizeof) return 0;
    api.broken = 0;
    api.ready = 1;
    return 1;
}

/* The heads of generations 0-2 and of the permanent one, found from a list just made (tracked
 * last: its next is generation 0's head) and checked: the three thresholds the caller read with
 * gc.get_threshold() where struct gc_generation has them, and the generation0 pointer after
 * them pointing back. The marker is that list, left in the ring (NULL: not the expected layout). */
static gc_head *heads[4];

static PyObject *find_generations(const long thresholds[3]) {
    PyObject *marker = api.list_new(0);
    if (!marker) {
        api.err_clear();
        return NULL;
    }
    gc_head *g = AS_GC(marker);
    gc_head *head = NEXT(g);
    int ok = api.is_tracked(marker) && head && PREV(head) == g && FIELD(head, GEN0_POINTER, gc_head *) == head;
    for (int i = 0; ok && i < 3; i++)
        ok = FIELD(head, i * GEN_STRIDE + GEN_THRESHOLD, int) == thresholds[i];
    for (int i = 0; ok && i < 4; i++) {
        gc_head *h = (gc_head *)((char *)head + (i < 3 ? i * GEN_STRIDE : PERMANENT));
        /* a ring: empty (itself) or its neighbours point back at it */
        ok = NEXT(h) && PREV(h) && PREV(NEXT(h)) == h && NEXT(PREV(h)) == h;
        heads[i] = h;
    }
    if (!ok) {
        api.decref(marker);
        return NULL;
    }
    return marker;
}

static int is_head(gc_head *g) { return g == heads[0] || g == heads[1] || g == heads[2] || g == heads[3]; }

static void unlink_gc(gc_head *g) {
    gc_head *p = PREV(g), *n = NEXT(g);
    p->next = (uintptr_t)n;
    SET_PREV(n, p);
}

static void link_after(gc_head *g, gc_head *at) {
    gc_head *n = NEXT(at);
    g->next = (uintptr_t)n;
    SET_PREV(n, g);
    SET_PREV(g, at);
    at->next = (uintptr_t)g;
}

static int64_t clock_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the type table ---- */
enum { SIZE_UNKNOWN = 0, SIZE_LINEAR = 1, SIZE_CALL = 2, SIZE_LIST = 3, SIZE_DIRECT = 4 };

/* A formula for an exact list (its own __sizeof__: basicsize + 8*allocated, plus the GC head),
 * checked against _PySys_GetSizeOf on the first VERIFY lists and used only if it matched them
 * all. (int has none: 3.12 changed its layout and small ints hide the difference.) */
#define VERIFY 512
#define OFF_LIST_ALLOCATED 32 /* PyListObject: ob_base (24), ob_item, allocated */

typedef struct {
    PyObject *type; /* a reference, held until the walk ends */
    int64_t count, size;
    int mode;
    int walk; /* 0: left out (frames); 1: counted */
    traverseproc traverse; /* NULL: its referents are not walked (modules) */
    int64_t base, itemsize;
    int verify_left; /* objects left to check the shortcut against (0: not being checked) */
    PyObject *(*method)(PyObject *, PyObject *); /* SIZE_DIRECT: __sizeof__'s C function */
    PyObject *descr; /* its descriptor (a reference) */
    int64_t extra; /* what sys.getsizeof adds to it */
} type_row;

#define CHUNK_SHIFT 16
#define GRANULE_SHIFT 3
#define CHUNK_WORDS ((1 << (CHUNK_SHIFT - GRANULE_SHIFT)) / 64)
typedef struct {
    uintptr_t key; /* address >> CHUNK_SHIFT, plus 1 (0: empty) */
    uint64_t *bits;
} chunk;

typedef struct {
    type_row *rows;
    size_t capacity, used;
    PyObject *last_type; /* the row of the last object's type (objects of a type come in runs) */
    type_row *last_row;
    PyObject *skip;
    /* untracked objects counted: a bit per 8 bytes of address space, in 64 KiB chunks (a hash
     * table of chunks): objects allocated together are looked up together, in a few cache lines */
    chunk *chunks_table;
    size_t chunks_capacity, chunks_used;
    uintptr_t last_key;
    uint64_t *last_bits;
    PyObject **pending; /* the untracked referents of the object being traversed (references) */
    size_t pending_used, pending_capacity;
    int failed; /* out of memory */
    int64_t tracked, untracked, errors;
    /* the holds: when this one began (wall clock and thread CPU), the longest so far */
    int64_t budget, hold_start, hold_cpu_start, longest, longest_cpu, chunks;
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
    w->last_type = NULL;
    return 1;
}

static type_row *row_of(walk *w, PyObject *type) {
    if (type == w->last_type) return w->last_row;
    if ((w->used + 1) * 2 > w->capacity && !grow_rows(w)) return NULL;
    size_t j = hash_ptr((uintptr_t)type) & (w->capacity - 1);
    while (w->rows[j].type && w->rows[j].type != type) j = (j + 1) & (w->capacity - 1);
    type_row *row = &w->rows[j];
    if (!row->type) {
        api.incref(type);
        row->type = type;
        row->itemsize = FIELD(type, OFF_TP_ITEMSIZE, intptr_t);
        row->walk = type != w->skip;
        /* a module's traverse visits its C state, freelists included (3.12's _asyncio: dead
         * objects): its dict is counted anyway */
        if (type != api.module_type && !api.is_subtype(type, api.module_type))
            row->traverse = FIELD(type, OFF_TP_TRAVERSE, traverseproc);
        w->used++;
    }
    w->last_type = type;
    w->last_row = row;
    return row;
}

static int grow_chunks(walk *w) {
    size_t capacity = w->chunks_capacity ? w->chunks_capacity * 2 : 4096;
    chunk *table = calloc(capacity, sizeof(chunk));
    if (!table) return 0;
    for (size_t i = 0; i < w->chunks_capacity; i++) {
        if (!w->chunks_table[i].key) continue;
        size_t j = hash_ptr(w->chunks_table[i].key) & (capacity - 1);
        while (table[j].key) j = (j + 1) & (capacity - 1);
        table[j] = w->chunks_table[i];
    }
    free(w->chunks_table);
    w->chunks_table = table;
    w->chunks_capacity = capacity;
    return 1;
}

/* 1: newly added; 0: seen before; -1: out of memory. Touches no Python object. */
static int see(walk *w, PyObject *o) {
    uintptr_t p = (uintptr_t)o, key = (p >> CHUNK_SHIFT) + 1;
    uint64_t *bits = w->last_bits;
    if (key != w->last_key || !bits) {
        if ((w->chunks_used + 1) * 2 > w->chunks_capacity && !grow_chunks(w)) return -1;
        size_t j = hash_ptr(key) & (w->chunks_capacity - 1);
        while (w->chunks_table[j].key && w->chunks_table[j].key != key) j = (j + 1) & (w->chunks_capacity - 1);
        if (!w->chunks_table[j].key) {
            bits = calloc(CHUNK_WORDS, sizeof(uint64_t));
            if (!bits) return -1;
            w->chunks_table[j].key = key;
            w->chunks_table[j].bits = bits;
            w->chunks_used++;
        }
        bits = w->chunks_table[j].bits;
        w->last_key = key;
        w->last_bits = bits;
    }
    size_t bit = (p & (((uintptr_t)1 << CHUNK_SHIFT) - 1)) >> GRANULE_SHIFT;
    uint64_t mask = (uint64_t)1 << (bit & 63);
    if (bits[bit >> 6] & mask) return 0;
    bits[bit >> 6] |= mask;
    return 1;
}

/* Hands the GIL over; the hold that ends is measured. Released and taken again at once, a
 * waiting thread woken by the release would mostly lose the race for it to us, and CPython's
 * waiter asks for a forced switch only when no switch happened during its 5 ms wait, which our
 * retake counts as one: a thread could wait for the whole walk. A short sleep with the GIL
 * released lets a woken waiter take it (then ours is the thread that waits, and asks). */
#define HAND_OVER_SLEEP_NS 100000
static void hand_over(walk *w) {
    int64_t t = clock_ns(CLOCK_MONOTONIC), cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    if (t - w->hold_start > w->longest) w->longest = t - w->hold_start;
    if (cpu - w->hold_cpu_start > w->longest_cpu) w->longest_cpu = cpu - w->hold_cpu_start;
    void *state = api.save_thread();
    struct timespec pause = {0, HAND_OVER_SLEEP_NS};
    nanosleep(&pause, NULL);
    api.restore_thread(state);
    w->hold_start = clock_ns(CLOCK_MONOTONIC);
    w->hold_cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    w->chunks++;
}

static int due(walk *w) {
    return clock_ns(CLOCK_MONOTONIC) - w->hold_start >= w->budget;
}

static int64_t abs64(intptr_t n) { return n < 0 ? -(int64_t)n : (int64_t)n; }

/* May call __sizeof__ (Python code: other threads may run): the caller holds o. */
/* The type's own __sizeof__ when it is a C function taking no arguments (dict's, int's, str's...):
 * called directly, it saves the bound method _PySys_GetSizeOf makes and frees at every call. */
typedef PyObject *(*cfunction)(PyObject *, PyObject *);
#define OFF_DESCR_METHOD 40 /* PyMethodDescrObject: PyDescr_COMMON (40), d_method */
#define METH_CALLING 0x2bf  /* VARARGS KEYWORDS NOARGS O CLASS STATIC FASTCALL METHOD */
#define METH_NOARGS 0x4
typedef struct {
    const char *ml_name;
    cfunction ml_meth;
    int ml_flags;
} method_def;

static cfunction c_sizeof(PyObject *type, PyObject **descr) {
    PyObject *found = api.type_lookup(type, api.sizeof_name);
    if (!found || FIELD(found, OFF_TYPE, PyObject *) != api.method_descr_type) return NULL;
    method_def *def = FIELD(found, OFF_DESCR_METHOD, method_def *);
    if (!def || !def->ml_meth || (def->ml_flags & METH_CALLING) != METH_NOARGS) return NULL;
    api.incref(found); /* held with the row: the type's dict may drop it meanwhile */
    *descr = found;
    return def->ml_meth;
}

static int64_t direct_size(walk *w, type_row *row, PyObject *o) {
    PyObject *result = row->method(o, NULL);
    intptr_t size = result ? api.long_as_ssize(result) : -1;
    if (result) api.decref(result);
    if (size < 0) {
        if (api.err_occurred()) api.err_clear();
        w->errors++;
        return -1;
    }
    return (int64_t)size + row->extra;
}

/* sys.getsizeof(o), or -1 (an error, counted) */
static int64_t getsizeof(walk *w, PyObject *o) {
    size_t size = api.getsizeof(o);
    if (size == (size_t)-1 && api.err_occurred()) {
        api.err_clear();
        w->errors++;
        return -1;
    }
    return (int64_t)size;
}

/* May call __sizeof__ (Python code: other threads may run): the caller holds o. */
static int64_t size_of(walk *w, type_row *row, PyObject *o) {
    if (row->mode == SIZE_LINEAR) return row->base + (row->itemsize ? row->itemsize * (int64_t)FIELD(o, OFF_SIZE, intptr_t) : 0);
    if (row->mode == SIZE_LIST) return row->base + 8 * abs64(FIELD(o, OFF_LIST_ALLOCATED, intptr_t));
    if (row->mode == SIZE_DIRECT) {
        int64_t size = direct_size(w, row, o);
        return size < 0 ? 0 : size;
    }
    int64_t size = getsizeof(w, o);
    if (size < 0) return 0;
    PyObject *type = row->type;
    if (row->mode == SIZE_UNKNOWN) {
        row->mode = SIZE_CALL;
        /* object.__sizeof__ (basicsize + itemsize*ob_size) plus what getsizeof adds (GC head,
         * pre-header): constant per type, except a GC type with tp_is_gc (types themselves) */
        if (FIELD(type, OFF_TP_IS_GC, void *)) {
        } else if (api.type_lookup(type, api.sizeof_name) == api.object_sizeof) {
            row->base = size - (row->itemsize ? row->itemsize * (int64_t)FIELD(o, OFF_SIZE, intptr_t) : 0);
            row->mode = SIZE_LINEAR;
        } else if (type == api.list_type) {
            row->base = size - 8 * abs64(FIELD(o, OFF_LIST_ALLOCATED, intptr_t));
            row->verify_left = VERIFY;
        } else if ((row->method = c_sizeof(type, &row->descr)) != NULL) {
            int64_t direct = direct_size(w, row, o);
            if (direct >= 0) {
                row->extra = size - direct; /* the GC head, 3.12's pre-header */
                row->verify_left = VERIFY;
            }
        }
        if (api.err_occurred()) api.err_clear();
        return size;
    }
    if (row->verify_left > 0) {
        int64_t expected = row->method ? direct_size(w, row, o) : row->base + 8 * abs64(FIELD(o, OFF_LIST_ALLOCATED, intptr_t));
        if (expected != size)
            row->verify_left = 0; /* the shortcut is wrong here: always call */
        else if (--row->verify_left == 0)
            row->mode = row->method ? SIZE_DIRECT : SIZE_LIST;
    }
    return size;
}

/* Counts o; held (a reference) across a __sizeof__ call, the only place Python code may run. */
static void count(walk *w, type_row *row, PyObject *o) {
    row->count++;
    if (row->mode == SIZE_LINEAR || row->mode == SIZE_LIST) { /* no call */
        row->size += size_of(w, row, o);
        return;
    }
    api.incref(o);
    row->size += size_of(w, row, o);
    api.decref(o);
}

/* PyObject_GC_IsTracked, inline: a GC type (and tp_is_gc, for types), linked in a list */
#define TPFLAGS_HAVE_GC (1UL << 14)
typedef int (*inquiry)(PyObject *);
static int is_tracked(PyObject *o) {
    PyObject *type = FIELD(o, OFF_TYPE, PyObject *);
    if (!(FIELD(type, OFF_TP_FLAGS, unsigned long) & TPFLAGS_HAVE_GC)) return 0;
    inquiry is_gc = FIELD(type, OFF_TP_IS_GC, inquiry);
    if (is_gc && !is_gc(o)) return 0;
    return AS_GC(o)->next != 0;
}

static int visit(PyObject *o, void *arg) {
    walk *w = (walk *)arg;
    if (!o || w->failed || is_tracked(o)) return 0;
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
        if (w->rows[i].type) {
            if (w->rows[i].descr) api.decref(w->rows[i].descr);
            api.decref(w->rows[i].type);
        }
    free(w->rows);
    for (size_t i = 0; i < w->chunks_capacity; i++) free(w->chunks_table[i].bits);
    free(w->chunks_table);
    free(w->pending);
}

/* Counts the untracked referents collected, then drops them; the GIL may be handed over between
 * them (they are held: untracked objects, never a tuple being filled). */
static void drain(walk *w) {
    size_t pending = w->pending_used;
    PyObject **held = w->pending; /* no traverse runs meanwhile: the array stays */
    for (size_t k = 0; k < pending; k++) {
        PyObject *r = held[k];
        if (!w->failed) {
            type_row *row = row_of(w, FIELD(r, OFF_TYPE, PyObject *));
            if (row) {
                count(w, row, r);
                w->untracked++;
            } else {
                w->failed = 1;
            }
        }
        held[k] = NULL;
        api.decref(r);
        if ((k & 255) == 255 && due(w)) hand_over(w);
    }
    w->pending_used = 0;
}

/* A long list's items, visited as its traverse would, in chunks with the GIL handed over between
 * them, then the list itself: it is held meanwhile (nothing needs a list's only reference) and
 * read again after each chunk (the target may change it). */
#define LONG_LIST 4096
#define OFF_LIST_ITEMS 24
static void walk_long_list(walk *w, PyObject *list) {
    api.incref(list);
    for (intptr_t i = 0; !w->failed; i++) {
        if (i >= FIELD(list, OFF_SIZE, intptr_t)) break;
        visit(FIELD(list, OFF_LIST_ITEMS, PyObject **)[i], w);
        if ((i & 1023) == 1023) {
            drain(w);
            if (due(w)) hand_over(w);
        }
    }
    drain(w);
    type_row *row = w->failed ? NULL : row_of(w, FIELD(list, OFF_TYPE, PyObject *)); /* rows may have moved */
    if (row) count(w, row, list);
    else w->failed = 1;
    api.decref(list);
}

/* One tracked object (the marker right after it): its untracked direct referents, then itself. */
static void walk_one(walk *w, PyObject *o) {
    type_row *row = row_of(w, FIELD(o, OFF_TYPE, PyObject *));
    if (!row) {
        w->failed = 1;
        return;
    }
    if (!row->walk) return;
    w->tracked++;
    if (row->type == api.list_type && FIELD(o, OFF_SIZE, intptr_t) > LONG_LIST) {
        walk_long_list(w, o);
        return;
    }
    if (row->traverse) row->traverse(o, visit, w);
    /* the traverse is over: counting may run Python code (a __sizeof__); o is not needed after */
    count(w, row, o);
    drain(w);
}

/* 1: the end marker was reached (the walk is over) */
static int walk_generation(walk *w, gc_head *marker, gc_head *end, int generation) {
    int64_t limit = 0;
    unlink_gc(marker);
    link_after(marker, heads[generation]);
    for (;;) {
        gc_head *g = NEXT(marker);
        if (g == end) return 1;
        if (is_head(g)) break; /* this generation's end, or another's a collection merged it into */
        if (++limit > ((int64_t)1 << 40)) { /* a ring that never ends: not what we expect */
            w->failed = 1;
            break;
        }
        unlink_gc(marker);
        link_after(marker, g);
        PyObject *o = FROM_GC(g);
        if (FIELD(o, 0, intptr_t) > 0) walk_one(w, o);
        if (w->failed) break;
        if ((limit & 15) == 0 && due(w)) {
            hand_over(w);
            if (w->failed) break;
        }
    }
    return 0;
}

/*
 * flight_mem_walk_gc(skip, budget_ns, threshold0, threshold1, threshold2, full_collections):
 * skip a type whose objects are left out (frames), or None; the thresholds gc.get_threshold()
 * gives and gc.get_stats()[2]["collections"] (to check the layout). Returns (rows, tracked,
 * untracked, errors, chunks, longest hold ns, longest hold's thread CPU ns, full collections
 * meanwhile) with rows a list of (type, count, size); NULL with no exception set when the C API or
 * the collector's lists are not what this file expects, or memory ran out (the caller walks in
 * Python instead).
 *
 * What it counts is what was there when it began: a second marker made then (the newest object,
 * so last in the rings' order, which collections keep: they append a younger ring to an older one)
 * ends the walk where it is met, so objects made meanwhile (after it) are not chased. A full
 * collection meanwhile can reorder the oldest ring (an object it found reachable late goes to the
 * end: counted twice, or missed if past the end marker); their number is returned, so the caller
 * can walk again.
 */
#define GEN_STATS (3 * GEN_STRIDE + 8 + GEN_STRIDE) /* after the permanent generation: {collections, ...}[3] */
#define FULL_COLLECTIONS(head) FIELD(head, GEN_STATS + 2 * 3 * 8, intptr_t)

__attribute__((visibility("default"))) PyObject *flight_mem_walk_gc(PyObject *skip, int64_t budget_ns, long threshold0,
                                                                    long threshold1, long threshold2,
                                                                    long full_collections) {
    if (!resolve()) return NULL;
    const long thresholds[3] = {threshold0, threshold1, threshold2};
    walk w;
    memset(&w, 0, sizeof w);
    w.hold_start = clock_ns(CLOCK_MONOTONIC);
    w.hold_cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    w.budget = budget_ns;
    w.chunks = 1;
    w.skip = skip;
    PyObject *marker = find_generations(thresholds);
    if (!marker) return NULL;
    /* generation 2's collection count where struct gc_generation_stats has it (one may have run
     * since the caller read it) */
    intptr_t full = FULL_COLLECTIONS(heads[0]);
    PyObject *end = full == full_collections || full == full_collections + 1 ? api.list_new(0) : NULL;
    if (!end) {
        api.err_clear();
        api.decref(marker);
        return NULL;
    }
    for (int generation = 2; generation >= 0 && !w.failed; generation--)
        if (walk_generation(&w, AS_GC(marker), AS_GC(end), generation)) break;
    api.decref(marker); /* their dealloc unlinks them from wherever they are */
    api.decref(end);
    full = FULL_COLLECTIONS(heads[0]) - full;
    int64_t t = clock_ns(CLOCK_MONOTONIC), cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    if (t - w.hold_start > w.longest) w.longest = t - w.hold_start;
    if (cpu - w.hold_cpu_start > w.longest_cpu) w.longest_cpu = cpu - w.hold_cpu_start;
    if (w.failed) {
        release(&w);
        return NULL;
    }
    PyObject *rows = api.list_new(0);
    if (!rows) {
        api.err_clear();
        release(&w);
        return NULL;
    }
    for (size_t i = 0; i < w.capacity; i++) {
        type_row *row = &w.rows[i];
        if (!row->type || !row->count) continue;
        PyObject *item = api.build("(OLL)", row->type, (long long)row->count, (long long)row->size);
        if (!item || api.list_append(rows, item) < 0) {
            if (item) api.decref(item);
            api.decref(rows);
            api.err_clear();
            release(&w);
            return NULL;
        }
        api.decref(item);
    }
    release(&w);
    return api.build("(NLLLLLLL)", rows, (long long)w.tracked, (long long)w.untracked, (long long)w.errors,
                     (long long)w.chunks, (long long)w.longest, (long long)w.longest_cpu, (long long)full);
}
