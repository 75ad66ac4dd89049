-- safe_divide on every kind of denominator: positive, negative, zero and NULL; round_to on its result.
with

division_cases as (

    select * from {{ ref('division_cases') }}

),

divided as (

    select
        case_id,
        numerator,
        denominator,
        expected_ratio,
        {{ dataproducts_utils.safe_divide('numerator', 'denominator') }} as ratio,
        {{ dataproducts_utils.round_to('expected_ratio', 2) }} as rounded_ratio,
        cast(numerator as {{ dataproducts_utils.type_double() }}) as numerator_as_double
    from division_cases

)

select * from divided
