package dev.kiln.core;

import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/**
 * A copy of a record with some components replaced, made through the record's canonical constructor, so the
 * record's own checks and normalisation run on the copy too. It is the one body of the withers of Kiln's wide
 * records (an image config, a container config, copy options), each of which would otherwise list every component
 * again in every wither. A component is named as the record declares it; a wrong name or a value of the wrong type
 * is an {@link IllegalArgumentException} the first time the wither runs.
 */
public final class RecordCopy<R extends Record> {
    private static final ClassValue<Constructor<?>> CANONICAL = new ClassValue<>() {
        @Override
        protected Constructor<?> computeValue(Class<?> type) {
            Class<?>[] types = Arrays.stream(type.getRecordComponents())
                    .map(RecordComponent::getType)
                    .toArray(Class<?>[]::new);
            try {
                return type.getDeclaredConstructor(types);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("record " + type.getName() + " has no canonical constructor", e);
            }
        }
    };

    private final R original;
    private final RecordComponent[] components;
    private final Object[] values;

    private RecordCopy(R original) {
        this.original = original;
        this.components = original.getClass().getRecordComponents();
        this.values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            try {
                values[i] = components[i].getAccessor().invoke(original);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read component " + components[i].getName(), e);
            }
        }
    }

    /** A copy of {@code record} that starts with all of its components. */
    public static <R extends Record> RecordCopy<R> of(R record) {
        return new RecordCopy<>(record);
    }

    /** Replaces the component named {@code component} with {@code value}. */
    public RecordCopy<R> with(String component, Object value) {
        for (int i = 0; i < components.length; i++) {
            if (components[i].getName().equals(component)) {
                Class<?> type = components[i].getType();
                if (value == null
                        ? type.isPrimitive()
                        : !MethodType.methodType(type).wrap().returnType().isInstance(value)) {
                    throw new IllegalArgumentException(original.getClass().getSimpleName() + "." + component + " is a "
                            + type.getSimpleName() + ", not " + value);
                }
                values[i] = value;
                return this;
            }
        }
        throw new IllegalArgumentException(original.getClass().getSimpleName() + " has no component " + component);
    }

    /** The copy; what the record's constructor throws (a check that failed) is thrown as it is. */
    @SuppressWarnings("unchecked")
    public R make() {
        try {
            return (R) CANONICAL.get(original.getClass()).newInstance(values);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException failed) {
                throw failed;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException("copying a " + original.getClass().getSimpleName(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("copying a " + original.getClass().getSimpleName(), e);
        }
    }
}
