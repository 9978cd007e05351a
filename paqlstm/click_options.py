"""Click options generated from the settings schema, for `paqlstm compress` and `paqlstm ladder`."""
import click


class _SchemaValue(click.ParamType):
    """A command-line word read and checked as its schema option says."""

    def __init__(self, option):
        self.option = option
        self.name = option.name

    def convert(self, value, param, ctx):
        if not isinstance(value, str):   # a default: already a value
            return value
        try:
            return self.option.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class _SchemaOption(click.Option):
    """Shows the schema's default and range in the help's brackets, as click does its own
    ranges; the default even where the option's is None (the ladder's: "as the compressor")."""

    def __init__(self, *args, schema, **attrs):
        super().__init__(*args, **attrs)
        self.schema = schema

    def get_help_extra(self, ctx):
        extra = super().get_help_extra(ctx)
        if self.schema.kind is not bool and self.schema.default is not None:
            extra.update(default=str(self.schema.default))
        if self.schema.kind in (int, float):
            extra.update(range=self.schema.expected())
        return extra


def schema_option(option, note=None, **attrs):
    """The click option of a schema option: its flag (--name/--no-name for a boolean), type,
    default and help, then `note`; `attrs` override click's arguments."""
    if option.kind is bool:
        flags = f"{option.flag}/--no-{option.flag[2:]}"
    else:
        flags = option.flag
        attrs = {"type": _SchemaValue(option), "metavar": option.metavar, **attrs}
    return click.option(flags, option.name, cls=_SchemaOption, schema=option,
                        help=option.help + (f"; {note}" if note else "") + ".",
                        **{"default": option.default, "show_default": True, **attrs})
