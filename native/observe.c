/*
 * The per-call bookkeeping of method observation, in C (part of libflight_boot.so, loaded in the
 * target). Python only runs once per observed call, when it ends (flight_agent/hooks/fast.py).
 *
 * A "plan" is a Python list [snapshot, finish, open] kept by the agent for one observed code
 * object: snapshot = (parameter names or None, begin or None, observers, probe), replaced at once
 * when observers come and go; finish(record, value, exception, end_ns) is the agent's; open is
 * the dict {frame: record} of the calls running.
 *
 * When a call starts (the hooks below), with no observer that needs to run then (begin is None),
 * the record is the tuple (snapshot, parameter values or None, start ns, thread ident): no Python
 * runs. Otherwise begin(frame, values) makes the record (a Call: trace starts its profile function
 * there). When it ends, the record goes to finish.
 *
 * Two ways in:
 * - CPython 3.9-3.11: flight_observe_hooks(plan) gives the builtins enter(values) and
 *   leave(value, raised) that an instrumented copy of the function's code calls
 *   (flight_agent/hooks/rewrite.py). They are C functions: no frame, nothing for a trace function.
 * - CPython 3.12+: flight_observe_callbacks(plans) gives the sys.monitoring callbacks of
 *   PY_START, PY_RETURN and PY_UNWIND, for the code objects in the dict plans {code: plan}.
 *
 * Nothing of ours raises into the target: an error (an Exception) is cleared and the call goes
 * unrecorded. What is not an Exception (KeyboardInterrupt from the target's signal handler, which
 * runs in whatever Python code the main thread runs, ours included) goes on into the target, as
 * it would have at that moment. Like boot.c it finds the Python C API at run time (one binary for
 * every version); all calls are made with the GIL held (ctypes.PyDLL, or as builtins).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct _object PyObject;
typedef intptr_t Py_ssize_t;

typedef struct {
    const char *name;
    void *meth;
    int flags;
    const char *doc;
} MethodDef;

#define METH_FASTCALL 0x0080
#define MAX_OPEN 100000 /* calls running at once; 3.12+: a coroutine closed unresumed never ends */

static struct {
    PyObject *(*dict_get)(PyObject *, PyObject *); /* PyDict_GetItemWithError: borrowed */
    int (*dict_set)(PyObject *, PyObject *, PyObject *);
    int (*dict_del)(PyObject *, PyObject *);
    Py_ssize_t (*dict_size)(PyObject *);
    PyObject *(*get_frame)(void);                     /* PyEval_GetFrame: borrowed */
    PyObject *(*frame_get_var)(PyObject *, PyObject *); /* PyFrame_GetVar, 3.12+ */
    PyObject *(*tuple_new)(Py_ssize_t);
    int (*tuple_set)(PyObject *, Py_ssize_t, PyObject *); /* steals */
    PyObject *(*tuple_get)(PyObject *, Py_ssize_t);       /* borrowed */
    Py_ssize_t (*tuple_size)(PyObject *);
    PyObject *(*list_get)(PyObject *, Py_ssize_t); /* borrowed */
    PyObject *(*long_ll)(long long);
    PyObject *(*long_ul)(unsigned long);
    unsigned long (*thread_ident)(void);
    PyObject *(*call)(PyObject *, ...); /* PyObject_CallFunctionObjArgs, NULL-terminated */
    void (*err_clear)(void);
    void (*incref)(PyObject *);
    void (*decref)(PyObject *);
    PyObject *(*cfunction_new)(MethodDef *, PyObject *, PyObject *);
    void (*enter_tracing)(void *); /* PyThreadState_EnterTracing, 3.11+ */
    void (*leave_tracing)(void *);
    void *(*thread_state)(void); /* PyThreadState_Get */
    int (*err_matches)(PyObject *);  /* PyErr_ExceptionMatches */
    PyObject *(*err_occurred)(void);
    PyObject **exc_exception;        /* &PyExc_Exception */
    PyObject *none, *true_;
    int ready;
} api;

static int resolve(void) {
    if (api.ready) return api.ready > 0;
#define SYM(field, name) *(void **)(&api.field) = dlsym(RTLD_DEFAULT, name)
    SYM(dict_get, "PyDict_GetItemWithError");
    SYM(dict_set, "PyDict_SetItem");
    SYM(dict_del, "PyDict_DelItem");
    SYM(dict_size, "PyDict_Size");
    SYM(get_frame, "PyEval_GetFrame");
    SYM(frame_get_var, "PyFrame_GetVar");
    SYM(tuple_new, "PyTuple_New");
    SYM(tuple_set, "PyTuple_SetItem");
    SYM(tuple_get, "PyTuple_GetItem");
    SYM(tuple_size, "PyTuple_Size");
    SYM(list_get, "PyList_GetItem");
    SYM(long_ll, "PyLong_FromLongLong");
    SYM(long_ul, "PyLong_FromUnsignedLong");
    SYM(thread_ident, "PyThread_get_thread_ident");
    SYM(call, "PyObject_CallFunctionObjArgs");
    SYM(err_clear, "PyErr_Clear");
    SYM(incref, "Py_IncRef");
    SYM(decref, "Py_DecRef");
    SYM(cfunction_new, "PyCFunction_NewEx");
    SYM(enter_tracing, "PyThreadState_EnterTracing");
    SYM(leave_tracing, "PyThreadState_LeaveTracing");
    SYM(thread_state, "PyThreadState_Get");
    SYM(err_matches, "PyErr_ExceptionMatches");
    SYM(err_occurred, "PyErr_Occurred");
    api.exc_exception = (PyObject **)dlsym(RTLD_DEFAULT, "PyExc_Exception");
    api.none = (PyObject *)dlsym(RTLD_DEFAULT, "_Py_NoneStruct");
    api.true_ = (PyObject *)dlsym(RTLD_DEFAULT, "_Py_TrueStruct");
#undef SYM
    int ok = api.dict_get && api.dict_set && api.dict_del && api.dict_size && api.get_frame && api.tuple_new &&
             api.tuple_set && api.tuple_get && api.tuple_size && api.list_get && api.long_ll && api.long_ul &&
             api.thread_ident && api.call && api.err_clear && api.incref && api.decref && api.cfunction_new &&
             api.thread_state && api.err_matches && api.err_occurred && api.exc_exception && api.none && api.true_;
    api.ready = ok ? 1 : -1;
    return ok;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* time.perf_counter's clock on Linux */
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static PyObject *none_ref(void) {
    api.incref(api.none);
    return api.none;
}

/* After a call of ours failed: 1 when what it raised must reach the target (not an Exception:
 * KeyboardInterrupt, SystemExit), which stays set; otherwise it is cleared. */
static int interrupted(void) {
    if (!api.err_occurred()) return 0;
    if (api.err_matches(*api.exc_exception)) {
        api.err_clear();
        return 0;
    }
    return 1;
}

/* The values of the parameters named in names, read from a running frame (3.12+). */
static PyObject *read_parameters(PyObject *frame, PyObject *names) {
    if (!api.frame_get_var) return NULL;
    Py_ssize_t n = api.tuple_size(names);
    PyObject *values = api.tuple_new(n);
    if (!values) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *value = api.frame_get_var(frame, api.tuple_get(names, i));
        if (!value) {
            api.decref(values);
            return NULL;
        }
        api.tuple_set(values, i, value);
    }
    return values;
}

/* A call of the plan's code starts in frame. values: its parameters' values (borrowed), or NULL
 * to read them from the frame. */
static int start_call(PyObject *plan, PyObject *frame, PyObject *values) {
    PyObject *snapshot = api.list_get(plan, 0);
    if (!snapshot || api.tuple_size(snapshot) < 4 || api.tuple_size(api.tuple_get(snapshot, 2)) <= 0) {
        api.err_clear();
        return 0; /* no observers */
    }
    PyObject *names = api.tuple_get(snapshot, 0);
    PyObject *begin = api.tuple_get(snapshot, 1);
    PyObject *open = api.list_get(plan, 2);
    if (!open || api.dict_size(open) >= MAX_OPEN) {
        api.err_clear();
        return 0;
    }
    PyObject *record;
    if (begin != api.none) {
        void *tstate = api.enter_tracing ? api.thread_state() : NULL;
        if (tstate) api.enter_tracing(tstate); /* 3.11: the agent's work is seen by no trace function */
        record = api.call(begin, frame, values ? values : api.none, NULL);
        if (tstate) api.leave_tracing(tstate);
        if (!record) return interrupted();
        if (record == api.none) {
            api.decref(record);
            return 0;
        }
    } else {
        PyObject *kept;
        if (names == api.none) {
            kept = none_ref(); /* nobody reads the arguments */
        } else if (values) {
            api.incref(values);
            kept = values;
        } else {
            kept = read_parameters(frame, names);
            if (!kept) {
                api.err_clear();
                return 0;
            }
        }
        record = api.tuple_new(4);
        PyObject *start = api.long_ll(now_ns());
        PyObject *ident = api.long_ul(api.thread_ident());
        if (!record || !start || !ident) {
            api.err_clear();
            api.decref(kept);
            if (record) api.decref(record);
            if (start) api.decref(start);
            if (ident) api.decref(ident);
            return 0;
        }
        api.incref(snapshot);
        api.tuple_set(record, 0, snapshot);
        api.tuple_set(record, 1, kept);
        api.tuple_set(record, 2, start);
        api.tuple_set(record, 3, ident);
    }
    if (api.dict_set(open, frame, record) < 0) api.err_clear();
    api.decref(record);
    return 0;
}

/* The call running in frame ends: with value, or with exception (one of them NULL). */
static int end_call(PyObject *plan, PyObject *frame, PyObject *value, PyObject *exception) {
    PyObject *open = api.list_get(plan, 2);
    if (!open || api.dict_size(open) <= 0) {
        api.err_clear();
        return 0;
    }
    PyObject *record = api.dict_get(open, frame);
    if (!record) {
        api.err_clear();
        return 0;
    }
    long long end = now_ns();
    api.incref(record);
    if (api.dict_del(open, frame) < 0) api.err_clear();
    PyObject *finish = api.list_get(plan, 1);
    PyObject *end_obj = api.long_ll(end);
    int stop = 0;
    if (finish && end_obj) {
        /* No trace or profile function sees the agent's work (3.11+; the monitoring callbacks
         * of 3.12+ already run so). */
        void *tstate = api.enter_tracing ? api.thread_state() : NULL;
        if (tstate) api.enter_tracing(tstate);
        PyObject *result = api.call(finish, record, value ? value : api.none, exception ? exception : api.none,
                                    end_obj, NULL);
        if (tstate) api.leave_tracing(tstate);
        if (result)
            api.decref(result);
        else
            stop = interrupted();
    } else {
        api.err_clear();
    }
    if (end_obj) api.decref(end_obj);
    api.decref(record);
    return stop;
}

/* -- 3.9-3.11: the builtins an instrumented code object calls (self: the plan) --------------- */

static PyObject *hook_enter(PyObject *plan, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *frame = api.get_frame();
    if (nargs == 1 && frame && start_call(plan, frame, args[0])) return NULL;
    return none_ref();
}

static PyObject *hook_leave(PyObject *plan, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 2) return none_ref();
    PyObject *frame = api.get_frame();
    if (frame) {
        int stop = args[1] == api.true_ ? end_call(plan, frame, NULL, args[0]) : end_call(plan, frame, args[0], NULL);
        if (stop) return NULL;
    }
    api.incref(args[0]);
    return args[0]; /* the instrumented code returns what this returns */
}

static MethodDef enter_def = {"flight_enter", (void *)hook_enter, METH_FASTCALL, NULL};
static MethodDef leave_def = {"flight_leave", (void *)hook_leave, METH_FASTCALL, NULL};

__attribute__((visibility("default"))) PyObject *flight_observe_hooks(PyObject *plan) {
    if (!resolve()) return NULL;
    PyObject *pair = api.tuple_new(2);
    PyObject *enter = api.cfunction_new(&enter_def, plan, NULL);
    PyObject *leave = api.cfunction_new(&leave_def, plan, NULL);
    if (!pair || !enter || !leave) {
        if (pair) api.decref(pair);
        if (enter) api.decref(enter);
        if (leave) api.decref(leave);
        return NULL;
    }
    api.tuple_set(pair, 0, enter);
    api.tuple_set(pair, 1, leave);
    return pair;
}

/* -- 3.12+: sys.monitoring callbacks (self: the dict {code: plan}) ----------------------------- */

static PyObject *plan_of(PyObject *plans, PyObject *code) {
    PyObject *plan = api.dict_get(plans, code);
    if (!plan) api.err_clear();
    return plan;
}

static PyObject *monitor_start(PyObject *plans, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs >= 1) {
        PyObject *plan = plan_of(plans, args[0]);
        PyObject *frame = plan ? api.get_frame() : NULL;
        if (frame && start_call(plan, frame, NULL)) return NULL;
    }
    return none_ref();
}

static PyObject *monitor_return(PyObject *plans, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs >= 3) {
        PyObject *plan = plan_of(plans, args[0]);
        PyObject *frame = plan ? api.get_frame() : NULL;
        if (frame && end_call(plan, frame, args[2], NULL)) return NULL;
    }
    return none_ref();
}

static PyObject *monitor_unwind(PyObject *plans, PyObject *const *args, Py_ssize_t nargs) {
    /* A process-wide event: every frame an exception leaves comes here; most are not ours. */
    if (nargs >= 3) {
        PyObject *plan = plan_of(plans, args[0]);
        PyObject *frame = plan ? api.get_frame() : NULL;
        if (frame && end_call(plan, frame, NULL, args[2])) return NULL;
    }
    return none_ref();
}

static MethodDef start_def = {"flight_py_start", (void *)monitor_start, METH_FASTCALL, NULL};
static MethodDef return_def = {"flight_py_return", (void *)monitor_return, METH_FASTCALL, NULL};
static MethodDef unwind_def = {"flight_py_unwind", (void *)monitor_unwind, METH_FASTCALL, NULL};

__attribute__((visibility("default"))) PyObject *flight_observe_callbacks(PyObject *plans) {
    if (!resolve()) return NULL;
    PyObject *triple = api.tuple_new(3);
    PyObject *start = api.cfunction_new(&start_def, plans, NULL);
    PyObject *ret = api.cfunction_new(&return_def, plans, NULL);
    PyObject *unwind = api.cfunction_new(&unwind_def, plans, NULL);
    if (!triple || !start || !ret || !unwind) {
        if (triple) api.decref(triple);
        if (start) api.decref(start);
        if (ret) api.decref(ret);
        if (unwind) api.decref(unwind);
        return NULL;
    }
    api.tuple_set(triple, 0, start);
    api.tuple_set(triple, 1, ret);
    api.tuple_set(triple, 2, unwind);
    return triple;
}
