package dev.kiln.llb;

/** An option of {@link FileAction#mkdir}: {@link Owner}, {@link CreatedAt}, or making parents. */
public sealed interface MkdirOption permits MkdirOption.MakeParents, Owner, CreatedAt {

    /** Creates missing parent directories too, like {@code mkdir -p}. */
    static MkdirOption makeParents() {
        return new MakeParents();
    }

    record MakeParents() implements MkdirOption {}
}
