resource "aws_imagebuilder_image_pipeline" "ok" {
  name                             = "prod-golden-base"
  image_recipe_arn                 = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/golden/2.x.x"
  infrastructure_configuration_arn = "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/prod-build"
}
