from django.db import migrations, models

# This step granted role permissions. They now come from one table,
# communities.roles.ROLE_PERMISSIONS, applied after every migrate (post_migrate), so that a
# model's permissions are granted once it exists under its final app.

class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0003_role_permissions'),
    ]

    operations = [
        migrations.CreateModel(
            name='CalendarDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField(unique=True, verbose_name='日期')),
                ('kind', models.CharField(choices=[('holiday', '节假日'), ('working_day', '调休上班')], max_length=20, verbose_name='类型')),
                ('name', models.CharField(blank=True, help_text='如“国庆节”。', max_length=50, verbose_name='名称')),
            ],
            options={
                'verbose_name': '节假日安排',
                'verbose_name_plural': '节假日安排',
                'ordering': ['date'],
            },
        ),
        migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop),
    ]
