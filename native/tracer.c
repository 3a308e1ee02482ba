/*
 * The profile function of `trace`, in C (part of libflight_boot.so, loaded in the target).
 *
 * A Python profile function costs about half a microsecond per event; a traced request handler
 * makes thousands. This one records a call tree in C: a node per call, its time, and at return a
 * call shorter than the interval is folded into its parent (counted, its time added) and its node
 * freed, so only the calls worth showing are ever handed to Python. Like boot.c it finds the
 * Python C API at run time (one binary for 3.9-3.13).
 *
 * Per thread: begin() on the traced call's thread, stop() when it returns, then
 * flight_tracer_nodes() to read the tree and free(). The calls made for every traced call are
 * builtins (flight_tracer_builtins(): no ctypes conversion on the hot path).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct _object PyObject;
typedef struct _frame PyFrameObject;
typedef int (*TraceFunc)(PyObject *, PyFrameObject *, int, PyObject *);

enum { WHAT_CALL = 0, WHAT_RETURN = 3, WHAT_C_CALL = 4, WHAT_C_EXCEPTION = 5, WHAT_C_RETURN = 6 };

typedef struct {
    PyObject *obj; /* the code object, or the builtin called (a reference we hold) */
    int64_t start_ns, cost_ns;
    int32_t parent; /* index of the parent node, -1 for the root */
    int32_t builtin;
    int64_t folded_count, folded_ns;
    int32_t raised; /* the call ended by an exception (a NULL return value, a c_exception) */
} flight_node;

typedef struct {
    int32_t node;  /* index in nodes, or -1 when this level is not recorded (-d, capacity) */
    void *frame;   /* the frame of a Python call, NULL for a builtin */
} open_level;

typedef struct {
    flight_node *nodes;
    int32_t count, capacity; /* capacity: the most nodes a trace keeps (MAX_NODES) */
    int32_t allocated;       /* nodes allocated so far: grown on demand, most trees are small */
    open_level *open;
    int32_t depth, open_capacity;
    int64_t interval_ns;
    int32_t max_depth; /* 0: no limit, and folding under the interval applies */
    int started, finished, cut;
    int64_t owner;     /* the trace stream that started it */
    void *stop;        /* what the observation's hook calls when the traced call ends, or NULL */
    int profile_removed; /* by a cancel: stop must not remove someone else's profiler */
    int32_t seen_cancels;
} tracer;

static __thread tracer *current;

/* A trace that ends while one of its calls runs cancels its tracers: each notices at its next
 * event and takes its profile function off its own thread. */
#define MAX_CANCELLED 256
static int64_t cancelled[MAX_CANCELLED];
static volatile int32_t cancel_count;

static int is_cancelled(int64_t owner) {
    int32_t n = cancel_count < MAX_CANCELLED ? cancel_count : MAX_CANCELLED;
    for (int32_t i = 0; i < n; i++)
        if (cancelled[i] == owner) return 1;
    return 0;
}

typedef struct {
    const char *name;
    void *meth;
    int flags;
    const char *doc;
} MethodDef;
#define METH_FASTCALL 0x0080

static struct {
    void (*set_profile)(TraceFunc, PyObject *);
    PyObject *(*frame_get_code)(PyFrameObject *);
    void (*incref)(PyObject *);
    void (*decref)(PyObject *);
    long long (*as_long_long)(PyObject *);
    PyObject *(*from_long)(long);
    PyObject *(*cfunction_new)(MethodDef *, PyObject *, PyObject *);
    PyObject *(*tuple_new)(intptr_t);
    int (*tuple_set)(PyObject *, intptr_t, PyObject *);
    PyObject *(*err_occurred)(void);
    PyObject *none;
} api;

static int resolve(void) {
    if (api.set_profile) return 1;
    api.frame_get_code = (PyObject * (*)(PyFrameObject *)) dlsym(RTLD_DEFAULT, "PyFrame_GetCode");
    api.incref = (void (*)(PyObject *))dlsym(RTLD_DEFAULT, "Py_IncRef");
    api.decref = (void (*)(PyObject *))dlsym(RTLD_DEFAULT, "Py_DecRef");
    api.none = (PyObject *)dlsym(RTLD_DEFAULT, "_Py_NoneStruct");
    *(void **)(&api.as_long_long) = dlsym(RTLD_DEFAULT, "PyLong_AsLongLong");
    *(void **)(&api.from_long) = dlsym(RTLD_DEFAULT, "PyLong_FromLong");
    *(void **)(&api.cfunction_new) = dlsym(RTLD_DEFAULT, "PyCFunction_NewEx");
    *(void **)(&api.tuple_new) = dlsym(RTLD_DEFAULT, "PyTuple_New");
    *(void **)(&api.tuple_set) = dlsym(RTLD_DEFAULT, "PyTuple_SetItem");
    *(void **)(&api.err_occurred) = dlsym(RTLD_DEFAULT, "PyErr_Occurred");
    void (*set_profile)(TraceFunc, PyObject *) = (void (*)(TraceFunc, PyObject *))dlsym(RTLD_DEFAULT, "PyEval_SetProfile");
    if (!api.frame_get_code || !api.incref || !api.decref || !api.none || !api.as_long_long || !api.from_long ||
        !api.cfunction_new || !api.tuple_new || !api.tuple_set || !api.err_occurred || !set_profile)
        return 0;
    api.set_profile = set_profile;
    return 1;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void open_call(tracer *t, PyObject *obj, int builtin, void *frame) {
    if (t->depth >= t->open_capacity) {
        int32_t capacity = t->open_capacity * 2;
        open_level *grown = realloc(t->open, sizeof(open_level) * (size_t)capacity);
        if (!grown) {
            t->cut = 1;
            t->finished = 1;
            return;
        }
        t->open = grown;
        t->open_capacity = capacity;
    }
    int32_t index = -1;
    int beyond_depth = t->max_depth > 0 && t->depth >= t->max_depth;
    int32_t parent = t->depth > 0 ? t->open[t->depth - 1].node : -1;
    if (!beyond_depth && (t->depth == 0 || parent >= 0)) {
        if (t->count == t->allocated && t->count < t->capacity) {
            int32_t allocated = t->allocated * 2 < t->capacity ? t->allocated * 2 : t->capacity;
            flight_node *grown = realloc(t->nodes, sizeof(flight_node) * (size_t)allocated);
            if (grown) {
                t->nodes = grown;
                t->allocated = allocated;
            }
        }
        if (t->count < t->allocated) {
            index = t->count++;
            flight_node *n = &t->nodes[index];
            api.incref(obj);
            n->obj = obj;
            n->parent = parent;
            n->builtin = builtin;
            n->cost_ns = n->folded_count = n->folded_ns = 0;
            n->raised = 0;
            n->start_ns = now_ns();
        } else {
            t->cut = 1;
        }
    }
    t->open[t->depth].node = index;
    t->open[t->depth].frame = frame;
    t->depth++;
}

static void close_call(tracer *t, int raised) {
    t->depth--;
    int32_t index = t->open[t->depth].node;
    if (t->depth == 0) t->finished = 1; /* the traced call returned */
    if (index < 0) return;
    flight_node *n = &t->nodes[index];
    n->cost_ns = now_ns() - n->start_ns;
    n->raised = raised;
    /* Fold a short call into its parent. Its children were shorter still, so already folded:
     * it is the last node, and freeing it is popping it. A call that raised stays: the path of
     * an exception is what the reader looks for. */
    if (t->max_depth == 0 && n->parent >= 0 && n->cost_ns < t->interval_ns && index == t->count - 1 && !raised) {
        flight_node *p = &t->nodes[n->parent];
        p->folded_count += 1 + n->folded_count;
        p->folded_ns += n->cost_ns;
        api.decref(n->obj);
        t->count--;
    }
}

static int profile(PyObject *unused, PyFrameObject *frame, int what, PyObject *arg) {
    (void)unused;
    tracer *t = current;
    if (!t || t->finished) return 0;
    if (t->seen_cancels != cancel_count) {
        t->seen_cancels = cancel_count;
        if (is_cancelled(t->owner)) {
            t->finished = 1;
            t->profile_removed = 1;
            api.set_profile(NULL, NULL);
            return 0;
        }
    }
    switch (what) {
    case WHAT_CALL: {
        PyObject *code = api.frame_get_code(frame); /* a new reference */
        if ((void *)code == t->stop) {
            /* the observation's hook runs: the traced call is over */
            while (t->depth > 0) close_call(t, 0);
            t->finished = 1;
        } else {
            if (!t->started) t->started = 1;
            open_call(t, code, 0, frame);
        }
        api.decref(code);
        break;
    }
    case WHAT_C_CALL:
        if ((void *)arg == t->stop) {
            while (t->depth > 0) close_call(t, 0);
            t->finished = 1;
        } else if (t->started && t->depth > 0 && t->open[t->depth - 1].frame == frame) {
            open_call(t, arg, 1, NULL); /* made by the innermost open call (not by a hook of ours) */
        }
        break;
    case WHAT_RETURN: /* arg is NULL when the frame is left by an exception */
        if (t->started && t->depth > 0 && t->open[t->depth - 1].frame == frame) close_call(t, arg == NULL);
        break;
    case WHAT_C_RETURN:
    case WHAT_C_EXCEPTION:
        if (t->started && t->depth > 0 && t->open[t->depth - 1].frame == NULL) close_call(t, what == WHAT_C_EXCEPTION);
        break;
    default:
        break;
    }
    return 0;
}

/* Start tracing this thread's current call. root: the traced call's frame when it is already
 * running (the observation hooks run inside it), or None: the next call to start is the root.
 * stop: what the observation's hook runs when the traced call ends, a code object (a call event)
 * or a builtin (a c_call event): it closes the tree. None when no event comes from the hooks. */
__attribute__((visibility("default"))) int flight_tracer_begin(int64_t interval_ns, int32_t max_depth, int32_t capacity,
                                                               PyObject *marker, int64_t owner, PyObject *root,
                                                               PyObject *stop) {
    if (!resolve()) return -1;
    if (current) return -2; /* this thread is already traced (a recursive call) */
    tracer *t = calloc(1, sizeof(tracer));
    if (!t) return -3;
    /* Grown as the tree grows: zeroing room for the most nodes (10,000) at every traced call cost
     * more than the tracing of a typical call. */
    t->allocated = capacity < 64 ? capacity : 64;
    t->nodes = malloc(sizeof(flight_node) * (size_t)(t->allocated > 0 ? t->allocated : 1));
    t->open_capacity = 64;
    t->open = calloc((size_t)t->open_capacity, sizeof(open_level));
    if (!t->nodes || !t->open) {
        free(t->nodes);
        free(t->open);
        free(t);
        return -3;
    }
    t->capacity = capacity;
    t->interval_ns = interval_ns;
    t->max_depth = max_depth;
    t->owner = owner;
    t->seen_cancels = cancel_count;
    t->stop = stop != api.none ? (void *)stop : NULL;
    if (root != api.none) {
        PyObject *code = api.frame_get_code((PyFrameObject *)root);
        t->started = 1;
        open_call(t, code, 0, root);
        api.decref(code);
    }
    current = t;
    api.set_profile(profile, marker); /* sys.getprofile() shows the marker: others see we are here */
    return 0;
}

/* Stop profiling this thread; returns the number of nodes (root first, parents before children). */
__attribute__((visibility("default"))) int32_t flight_tracer_stop(void) {
    tracer *t = current;
    if (!t) return -1;
    if (!t->profile_removed) api.set_profile(NULL, NULL);
    t->profile_removed = 1;
    t->finished = 1;
    /* calls still open (the root under an exception path we did not see): close them */
    while (t->depth > 0) close_call(t, 0);
    return t->count;
}

__attribute__((visibility("default"))) flight_node *flight_tracer_nodes(void) { return current ? current->nodes : NULL; }

__attribute__((visibility("default"))) int32_t flight_tracer_cut(void) { return current ? current->cut : 0; }

__attribute__((visibility("default"))) void flight_tracer_free(void) {
    tracer *t = current;
    if (!t) return;
    for (int32_t i = 0; i < t->count; i++) api.decref(t->nodes[i].obj);
    free(t->nodes);
    free(t->open);
    free(t);
    current = NULL;
}

/* Called with the GIL held (so no other thread is in profile()). */
__attribute__((visibility("default"))) void flight_tracer_cancel(int64_t owner) {
    cancelled[cancel_count % MAX_CANCELLED] = owner;
    cancel_count++;
}

/* -- the same as builtins, for the calls made at every traced call -------------------------- */

static PyObject *builtin_begin(PyObject *self, PyObject *const *args, intptr_t nargs) {
    (void)self;
    if (nargs != 7) return api.from_long(-4);
    long long interval = api.as_long_long(args[0]), depth = api.as_long_long(args[1]);
    long long capacity = api.as_long_long(args[2]), owner = api.as_long_long(args[4]);
    if (api.err_occurred()) return NULL;
    return api.from_long(flight_tracer_begin(interval, (int32_t)depth, (int32_t)capacity, args[3], owner, args[5], args[6]));
}

static PyObject *builtin_stop(PyObject *self, PyObject *const *args, intptr_t nargs) {
    (void)self, (void)args, (void)nargs;
    return api.from_long(flight_tracer_stop());
}

static PyObject *builtin_cut(PyObject *self, PyObject *const *args, intptr_t nargs) {
    (void)self, (void)args, (void)nargs;
    return api.from_long(flight_tracer_cut());
}

static PyObject *builtin_free(PyObject *self, PyObject *const *args, intptr_t nargs) {
    (void)self, (void)args, (void)nargs;
    flight_tracer_free();
    api.incref(api.none);
    return api.none;
}

static MethodDef builtin_defs[] = {
    {"flight_tracer_begin", (void *)builtin_begin, METH_FASTCALL, NULL},
    {"flight_tracer_stop", (void *)builtin_stop, METH_FASTCALL, NULL},
    {"flight_tracer_cut", (void *)builtin_cut, METH_FASTCALL, NULL},
    {"flight_tracer_free", (void *)builtin_free, METH_FASTCALL, NULL},
};

/* (begin, stop, cut, free) as builtins; NULL when the C API is not found. */
__attribute__((visibility("default"))) PyObject *flight_tracer_builtins(void) {
    if (!resolve()) return NULL;
    PyObject *out = api.tuple_new(4);
    if (!out) return NULL;
    for (int i = 0; i < 4; i++) {
        PyObject *function = api.cfunction_new(&builtin_defs[i], NULL, NULL);
        if (!function) {
            api.decref(out);
            return NULL;
        }
        api.tuple_set(out, i, function);
    }
    return out;
}
